package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy the hub should send with the
// dashboard's responses. The page also declares it in a meta element,
// which cannot carry frame-ancestors: only the header stops framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// FS returns the dashboard's files, index.html at its root.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("bug: web assets: " + err.Error()) // a constant, valid path
	}
	return sub
}
