package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// The languages pages speak. Vietnamese is the default and is never
// switched from Accept-Language: the state's pages speak Vietnamese unless
// the person chooses otherwise.
const (
	LangVI      = "vi"
	LangEN      = "en"
	DefaultLang = LangVI
)

// LangCookie is the cookie that remembers a chosen language.
const LangCookie = "lang"

// langCookieAge is how long a language choice is remembered.
const langCookieAge = 365 * 24 * time.Hour

var catalog = struct {
	sync.RWMutex
	msgs map[string]map[string]string
}{msgs: map[string]map[string]string{}}

func init() {
	sub, err := fs.Sub(assets, "assets/i18n")
	if err == nil {
		err = RegisterMessagesFS(sub, ".")
	}
	if err != nil {
		panic("web: embedded message catalogs: " + err.Error())
	}
}

// SupportedLang reports whether pages can be shown in lang.
func SupportedLang(lang string) bool { return lang == LangVI || lang == LangEN }

// RegisterMessages adds msgs (key -> text, with fmt verbs where T passes
// arguments) to the catalog of lang; a key registered again is replaced.
// Components prefix their keys with their name ("catalog.list.title").
func RegisterMessages(lang string, msgs map[string]string) {
	lang = strings.ToLower(lang)
	catalog.Lock()
	defer catalog.Unlock()
	m := catalog.msgs[lang]
	if m == nil {
		m = make(map[string]string, len(msgs))
		catalog.msgs[lang] = m
	}
	for k, v := range msgs {
		m[k] = v
	}
}

// RegisterMessagesFS registers every <lang>.json file in dir of fsys (such
// as i18n/vi.json and i18n/en.json of a component's embedded files), each a
// flat JSON object of key -> text.
func RegisterMessagesFS(fsys fs.FS, dir string) error {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("web: list message catalogs in %s: %w", dir, err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("web: read message catalog %s: %w", name, err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(b, &msgs); err != nil {
			return fmt.Errorf("web: parse message catalog %s: %w", name, err)
		}
		RegisterMessages(strings.TrimSuffix(path.Base(name), ".json"), msgs)
	}
	return nil
}

// T returns the text of key in lang, formatted with args when there are
// any. A key missing in lang falls back to Vietnamese, then to the key
// itself, so a gap shows up on the page instead of breaking it.
func T(lang, key string, args ...any) string {
	catalog.RLock()
	msg, ok := catalog.msgs[lang][key]
	if !ok {
		msg, ok = catalog.msgs[DefaultLang][key]
	}
	catalog.RUnlock()
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Lang returns the language to answer r in: the ?lang= query parameter
// (vi or en, which Wrap also remembers in the lang cookie), then the
// cookie, then Vietnamese.
func Lang(r *http.Request) string {
	if st := state(r.Context()); st != nil && st.lang != "" {
		return st.lang
	}
	return resolveLang(r)
}

func resolveLang(r *http.Request) string {
	if l := queryLang(r); l != "" {
		return l
	}
	if l := cookieLang(r); l != "" {
		return l
	}
	return DefaultLang
}

func queryLang(r *http.Request) string {
	// Most requests have no lang parameter; skip parsing their query.
	if !strings.Contains(r.URL.RawQuery, "lang=") {
		return ""
	}
	if l := strings.ToLower(r.URL.Query().Get("lang")); SupportedLang(l) {
		return l
	}
	return ""
}

func cookieLang(r *http.Request) string {
	c, err := r.Cookie(LangCookie)
	if err != nil {
		return ""
	}
	if l := strings.ToLower(c.Value); SupportedLang(l) {
		return l
	}
	return ""
}

func langCookie(lang string, secure bool) *http.Cookie {
	return &http.Cookie{
		Name:     LangCookie,
		Value:    lang,
		Path:     "/",
		MaxAge:   int(langCookieAge / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}
