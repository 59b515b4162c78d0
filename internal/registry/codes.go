package registry

import (
	"context"

	"github.com/vngov/vngov/internal/catalog"
)

// CatalogCodes checks codes against the shared e-catalogs in this process.
type CatalogCodes struct{ Catalog *catalog.Service }

// Valid reports whether code is in list on day, or on any day when day is "".
func (c CatalogCodes) Valid(ctx context.Context, list, code, day string) bool {
	if day == "" {
		_, err := c.Catalog.History(ctx, list, code)
		return err == nil
	}
	_, err := c.Catalog.Item(ctx, list, code, day)
	return err == nil
}
