// Package assets holds the files Lobbyline embeds in its binaries: the
// translations of every visitor- and staff-facing text, the lobby message
// templates and the app icon.
//
// It must not depend on Fyne or any other package of the project, so that
// command-line tools and tests can read the same texts.
package assets

import "embed"

// Translations holds one go-i18n JSON file per language, named after the
// language code (en.json, es.json), in the directory "translations".
//
//go:embed translations
var Translations embed.FS

// Icon is the application icon, a PNG.
//
//go:embed icon.png
var Icon []byte

// Templates is the TOML list of lobby message templates staff publish
// during an incident (see queue.ParseTemplates).
//
//go:embed templates.toml
var Templates string
