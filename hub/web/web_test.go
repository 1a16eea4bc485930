package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/hub/web"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(web.FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAssetsResolve checks that every file the page and its modules load
// is in the embedded tree: a typo is a blank dashboard, found only in a
// browser.
func TestAssetsResolve(t *testing.T) {
	index := read(t, "index.html")
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 3 {
		t.Fatalf("index.html loads %d files, want the style sheet, the icon and the script", len(refs))
	}
	for _, r := range refs {
		if _, err := fs.Stat(web.FS(), r[1]); err != nil {
			t.Errorf("index.html loads %s: %v", r[1], err)
		}
	}
	imports := regexp.MustCompile(`from '\./([^']+)'`)
	err := fs.WalkDir(web.FS(), "js", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, m := range imports.FindAllStringSubmatch(read(t, path), -1) {
			if _, err := fs.Stat(web.FS(), "js/"+m[1]); err != nil {
				t.Errorf("%s imports %s: %v", path, m[1], err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoMarkupSinks keeps event content out of the HTML parser: argv,
// paths and hostnames are the attacker's, so the scripts set text and
// attributes only, and load no code from strings.
func TestNoMarkupSinks(t *testing.T) {
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(['"]|setAttribute\(['"](style|on)|createContextualFragment|srcdoc|javascript:`)
	err := fs.WalkDir(web.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		for i, line := range strings.Split(read(t, path), "\n") {
			if m := sinks.FindString(line); m != "" {
				t.Errorf("%s:%d: %s: build elements with dom.js and set text with textContent", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?i)<script>|\son[a-z]+=|style="`).FindString(read(t, "index.html")); m != "" {
		t.Errorf("index.html has inline code or style (%s): the Content-Security-Policy refuses it", m)
	}
}

// TestCSP checks that the page declares the policy the hub is to send,
// less what a meta element cannot carry.
func TestCSP(t *testing.T) {
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(read(t, "index.html"))
	if m == nil {
		t.Fatal("index.html declares no Content-Security-Policy")
	}
	want := strings.TrimSuffix(web.CSP, "; frame-ancestors 'none'")
	if m[1] != want {
		t.Errorf("index.html's policy\n%s\nwant web.CSP without frame-ancestors\n%s", m[1], want)
	}
}
