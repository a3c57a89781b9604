package queue

import "regexp"

// idPattern is lower-case letters, digits and dashes, not starting with a
// dash, at most 63 characters: a DNS label's shape.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidID reports whether s may be the ID of a kiosk, site, service, desk
// or message template. IDs travel unescaped inside ticket references
// (LL1.<kiosk>.…, where a dot would split the fields), file names (where a
// slash or a leading dash would do harm) and URL paths, so they hold only
// characters that mean nothing in any of them; lower case alone keeps two
// spellings of one ID from being two IDs. Every place that accepts an ID
// checks it with this one rule, so a kiosk never accepts an ID the centre
// would refuse.
func ValidID(s string) bool {
	return idPattern.MatchString(s)
}
