package result

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// CatalogNames names catalog codes through the shared catalogs' API
// (GET /catalog/v1/lists/{list}/items/{code}), remembering the answers.
// When the catalog does not answer, it stops asking for a while, so that
// issuing a document is not held up by it.
type CatalogNames struct {
	BaseURL string // e.g. http://127.0.0.1:8083
	HTTP    *http.Client

	mu        sync.Mutex
	cache     map[string]string
	downUntil time.Time
}

// Name implements Names.
func (c *CatalogNames) Name(ctx context.Context, list, code string) (string, bool) {
	if c == nil || c.BaseURL == "" || code == "" {
		return "", false
	}
	key := list + "\x00" + code
	c.mu.Lock()
	if n, ok := c.cache[key]; ok {
		c.mu.Unlock()
		return n, true
	}
	down := time.Now().Before(c.downUntil)
	c.mu.Unlock()
	if down {
		return "", false
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 3 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+"/catalog/v1/lists/"+url.PathEscape(list)+"/items/"+url.PathEscape(code), nil)
	if err != nil {
		return "", false
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.mu.Lock()
		c.downUntil = time.Now().Add(30 * time.Second)
		c.mu.Unlock()
		return "", false
	}
	defer resp.Body.Close()
	var it struct {
		Name string `json:"name"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&it) != nil || it.Name == "" {
		return "", false
	}
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[string]string{}
	}
	if len(c.cache) < 10000 {
		c.cache[key] = it.Name
	}
	c.mu.Unlock()
	return it.Name, true
}
