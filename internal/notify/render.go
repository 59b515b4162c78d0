package notify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var placeholder = regexp.MustCompile(`\(\(([^()]*)\)\)`)

// Render fills the ((name)) placeholders of tmpl, in the manner of GOV.UK
// Notify's templates, with vars. Spaces inside the brackets are ignored:
// (( code )) is ((code)). Values are put in as they are, and are not
// searched for placeholders again. A placeholder with no value is an
// error that names every missing variable, so a message never goes out
// with a hole in it.
func Render(tmpl string, vars map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-2])
		v, ok := vars[name]
		if !ok && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return v
	})
	switch len(missing) {
	case 0:
		return out, nil
	case 1:
		return "", fmt.Errorf("notify: template variable %q is missing", missing[0])
	}
	return "", fmt.Errorf("notify: template variables %q are missing", missing)
}
