package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// StaticPrefix is where StaticHandler is mounted.
const StaticPrefix = "/static/"

type staticFile struct {
	body  []byte
	ctype string
	hash  string
}

// staticTypes fixes the content types instead of asking the host's MIME
// database, which differs between machines.
var staticTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".json":  "application/json",
	".txt":   "text/plain; charset=utf-8",
}

var staticFiles = loadStatic()

func loadStatic() map[string]*staticFile {
	files := map[string]*staticFile{}
	root := "assets/static"
	err := fs.WalkDir(assets, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := staticTypes[path.Ext(p)]
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		files[strings.TrimPrefix(p, root+"/")] = &staticFile{body: b, ctype: ctype, hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		panic("web: embedded static files: " + err.Error())
	}
	return files
}

// AssetURL returns the URL of a static file, such as "app.css", with its
// content hash as version ("/static/app.css?v=3f2a..."), so it can be cached
// for a year and still change with each release.
func AssetURL(name string) string {
	if f := staticFiles[name]; f != nil {
		return StaticPrefix + name + "?v=" + f.hash
	}
	return StaticPrefix + name
}

// StaticHandler serves the embedded CSS, JS and icons; mount it at
// StaticPrefix ("GET /static/"). A request carrying the current version
// (AssetURL) may be cached for a year; others revalidate with the ETag.
func StaticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		f := staticFiles[strings.TrimPrefix(r.URL.Path, StaticPrefix)]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", `"`+f.hash+`"`)
		if r.URL.Query().Get("v") == f.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		// ServeContent answers If-None-Match and Range from the ETag set above.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}
