package rules

import (
	"path"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		giveFlat bool
		giveName string
		want     bool
	}{
		{name: "literal", give: "/usr/bin/curl", giveName: "/usr/bin/curl", want: true},
		{name: "literal differs", give: "/usr/bin/curl", giveName: "/usr/bin/curlx"},
		{name: "star in a segment", give: "/usr/bin/*", giveName: "/usr/bin/curl", want: true},
		{name: "star stops at /", give: "/usr/*", giveName: "/usr/bin/curl"},
		{name: "star matches empty", give: "/tmp/*", giveName: "/tmp/", want: true},
		{name: "double star deep", give: "/tmp/**", giveName: "/tmp/a/b/c", want: true},
		{name: "double star the tree itself", give: "/tmp/**", giveName: "/tmp", want: true},
		{name: "double star not a prefix", give: "/tmp/**", giveName: "/tmpx/a"},
		{name: "double star none between", give: "/usr/**/bin/*", giveName: "/usr/bin/curl", want: true},
		{name: "double star some between", give: "/usr/**/bin/*", giveName: "/usr/local/x/bin/curl", want: true},
		{name: "double star then nothing left", give: "/usr/**/bin", giveName: "/usr"},
		{name: "leading double star", give: "**/curl", giveName: "/usr/bin/curl", want: true},
		{name: "leading double star other name", give: "**/curl", giveName: "/usr/bin/curly"},
		{name: "two double stars", give: "/**/lib/**/x", giveName: "/a/lib/b/lib/c/x", want: true},
		{name: "double star backtracks", give: "/**/a/b", giveName: "/a/a/b", want: true},
		{name: "question mark", give: "/bin/?h", giveName: "/bin/sh", want: true},
		{name: "question mark is one rune", give: "/x/?", giveName: "/x/é", want: true},
		{name: "question mark not /", give: "/bin?sh", giveName: "/bin/sh"},
		{name: "class", give: "/bin/[bd]ash", giveName: "/bin/dash", want: true},
		{name: "class range", give: "python3.[0-9]*", giveName: "python3.12", want: true},
		{name: "negated class", give: "[!a]sh", giveName: "bsh", want: true},
		{name: "negated class caret", give: "[^a]sh", giveName: "ash"},
		{name: "escaped star", give: `a\*`, giveName: "a*", want: true},
		{name: "escaped star literal only", give: `a\*`, giveName: "ab"},
		{name: "escaped slash separates", give: `/usr\/bin/*`, giveName: "/usr/bin/x", want: true},
		{name: "stars then literal", give: "*.sh", giveName: "a.b.sh", want: true},
		{name: "stars last chunk at the end", give: "*a", giveName: "aab", want: false},
		{name: "flat star crosses /", give: "-e*", giveFlat: true, giveName: "-e/bin/sh", want: true},
		{name: "flat double star is star", give: "--out=**", giveFlat: true, giveName: "--out=/tmp/x", want: true},
		{name: "flat question mark matches /", give: "a?b", giveFlat: true, giveName: "a/b", want: true},
		{name: "flat whole argument", give: "-e", giveFlat: true, giveName: "-ex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := compileGlob(tt.give, tt.giveFlat)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.match(tt.giveName); got != tt.want {
				t.Errorf("%q matches %q = %v, want %v", tt.give, tt.giveName, got, tt.want)
			}
		})
	}
}

func TestGlobErrors(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		giveFlat bool
		wantErr  string // "": compiles
	}{
		{name: "empty", give: "", wantErr: "empty"},
		{name: "double star in a segment", give: "/usr/lib**", wantErr: "** must be a whole path segment"},
		{name: "triple star", give: "/a/***/b", wantErr: "** must be a whole path segment"},
		{name: "double star flat", give: "a**", giveFlat: true},
		{name: "trailing backslash", give: `/a\`, wantErr: `trailing \`},
		{name: "unclosed class", give: "/a/[bc", wantErr: "[ without a closing ]"},
		{name: "empty class", give: "/a/[]", wantErr: "a class needs at least one character"},
		{name: "dash first", give: "[-a]", wantErr: "a class needs at least one character"},
		{name: "empty range", give: "[z-a]", wantErr: "empty range z-a"},
		{name: "slash in a class", give: "/a[/]b", wantErr: "/ in a character class"},
		{name: "slash in a flat class", give: "a[/]b", giveFlat: true},
		{name: "escaped in a class", give: `[\]\-]`},
		{name: "invalid UTF-8 in a class", give: "[\xff]", wantErr: "invalid UTF-8 in a character class"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileGlob(tt.give, tt.giveFlat)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("compileGlob(%q): %v", tt.give, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("compileGlob(%q) = %v, want an error saying %q", tt.give, err, tt.wantErr)
			}
		})
	}
}

// FuzzExecGlob: compiling and matching never panic, and where path.Match
// means the same (no "**", no "[!", no class on a name with a /), both
// agree.
func FuzzExecGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"/usr/bin/*", "/usr/bin/curl"}, {"/tmp/**", "/tmp/a/b"}, {"**/x", "/a/x"}, {"[^a-c]?*.sh", "d.sh"},
		{`a\*b`, "a*b"}, {"*a*b*", "xaybz"}, {"/**/a/**/b", "/a/a/b/b"}, {"[é-ü]", "ö"}, {"-e*", "-e/bin/sh"},
	} {
		f.Add(s[0], s[1], false)
		f.Add(s[0], s[1], true)
	}
	f.Fuzz(func(t *testing.T, pattern, name string, flat bool) {
		g, err := compileGlob(pattern, flat)
		if err != nil {
			return
		}
		got := g.match(name)
		if strings.Contains(pattern, "**") || strings.Contains(pattern, "[!") ||
			strings.Contains(pattern, "[") && strings.Contains(name, "/") ||
			flat && (strings.Contains(name, "/") || strings.Contains(pattern, "/")) {
			return
		}
		want, err := path.Match(pattern, name)
		if err != nil {
			t.Fatalf("compileGlob accepts %q, path.Match says %v", pattern, err)
		}
		if got != want {
			t.Fatalf("%q matches %q = %v, path.Match says %v", pattern, name, got, want)
		}
	})
}
