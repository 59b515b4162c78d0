// Package web is the HTTP kernel every vngov component serves through: the
// server with its timeouts, the middleware chain (recovery, request id,
// access log, security headers, cross-origin protection, metrics), the one
// edge that turns a *fault.Error into application/problem+json or an error
// page, the Vietnamese-first message catalogs, the page layout and its
// static assets, and the health and metrics endpoints.
package web

import "embed"

// assets holds the layout templates, the message catalogs and the static
// files (CSS, JS, icon) compiled into the binary, so a deployment never
// depends on files next to it or on any outside host.
//
//go:embed assets
var assets embed.FS
