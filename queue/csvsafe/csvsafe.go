// Package csvsafe keeps text that people typed from running as a formula
// when a CSV file is opened in a spreadsheet (OWASP "CSV injection",
// CWE-1236). It is for exports meant to be read by people in Excel,
// LibreOffice or Google Sheets: the roster, the day's export, incident
// reports. It is not for files that a program reads back, such as the
// centre's `central list` output, which `central import` must take back
// as it was written.
//
// It depends on nothing, so the domain and every exporter around it can
// import it.
package csvsafe

// Cell returns s with a leading apostrophe if a spreadsheet would read it
// as a formula: if it starts with =, +, -, @, a tab, a carriage return
// (OWASP's list) or a NUL (ASVS 5.0 adds it). Spreadsheets show the
// apostrophe-led cell as the text itself.
//
// Plain negative numbers and phone numbers like +34 600 123 456 are
// quoted too, on purpose. A rule that lets "a + or - followed by a
// digit" through lets -2+3+cmd|' /C calc'!A0 through with it, and telling
// a harmless number from a formula means parsing it the way each
// spreadsheet and locale does. Cell is only applied to text people typed
// (names, hosts, phones, causes), where a number is not a figure anyone
// sums; figures an export computes are written without it.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return "'" + s
	}
	return s
}
