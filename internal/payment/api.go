package payment

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/kernel"
	"github.com/vngov/vngov/internal/platform/web"
)

// CallbackPath is where providers post their notifications:
// CallbackPath + provider name.
const CallbackPath = "/payment/v1/callbacks/"

// CrossOriginBypass lists the routes other origins post to (the
// providers' server-to-server notifications), for the cross-origin
// protection of the site that serves the adapter.
var CrossOriginBypass = []string{"POST " + CallbackPath + "{provider}"}

// Component runs the payment adapter in a process (role "payment"): the
// service, its API and callbacks, the reconciliation pages under
// /thanh-toan/, the expiry sweep and, for the demo, the demo provider.
type Component struct {
	k   *kernel.Kernel
	Svc *Service
	// Demo is the adapter's client of the demo provider; Gateway is the
	// demo provider itself.
	Demo    *Demo
	Gateway *DemoGateway
	// ProviderElsewhere is set when the demo provider is served on its own
	// address (ProviderRoutes); otherwise Routes serves it too.
	ProviderElsewhere bool
	pages             *Pages
}

// NewComponent returns the adapter on k with the demo provider: the secret
// from the payment-secret setting, the provider at payment-provider-url
// (or this process's public address) and notifications back to the public
// address. UseDemoProvider changes the addresses.
func NewComponent(k *kernel.Kernel) (*Component, error) {
	cfg := k.Config
	base := strings.TrimRight(cfg.PublicURL, "/")
	if base == "" && cfg.Listen != "" {
		base = "http://" + cfg.Listen
	}
	providerURL := cfg.PaymentProviderURL
	if providerURL == "" {
		providerURL = base
	}
	secret := []byte(cfg.PaymentSecret)
	demo := &Demo{URL: providerURL, Secret: secret}
	gw, err := NewDemoGateway(k.DB, secret, base+CallbackPath+DemoName, k.Log)
	if err != nil {
		return nil, err
	}
	c := &Component{k: k, Svc: New(k.DB, demo, time.Duration(cfg.PaymentTTLMinutes)*time.Minute), Demo: demo, Gateway: gw,
		ProviderElsewhere: cfg.PaymentProviderURL != ""}
	if c.pages, err = newPages(c); err != nil {
		return nil, err
	}
	return c, nil
}

// UseDemoProvider points the adapter at the demo provider served at
// providerURL (by ProviderRoutes) and the provider's notifications at
// adapterURL, the address that serves this component's Routes.
func (c *Component) UseDemoProvider(providerURL, adapterURL string) {
	c.Demo.URL = strings.TrimRight(providerURL, "/")
	c.Gateway.callbackURL = strings.TrimRight(adapterURL, "/") + CallbackPath + DemoName
	c.ProviderElsewhere = true
}

// Name is the role name.
func (c *Component) Name() string { return "payment" }

// Migrations are the tables.
func (c *Component) Migrations() fs.FS { return Migrations() }

// Start runs the expiry sweep and the demo provider's resending of
// notifications in the background.
func (c *Component) Start(ctx context.Context) error {
	every := min(max(c.Svc.TTL()/10, 5*time.Second), time.Minute)
	c.k.Go(func() {
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			if n, err := c.Svc.ExpireStale(ctx); err != nil && ctx.Err() == nil {
				c.k.Log.Error("payment: expire stale payments", "err", err)
			} else if n > 0 {
				c.k.Log.Info("payment: expired stale payments", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	})
	c.k.Go(func() { c.Gateway.Run(ctx, 5*time.Second) })
	return nil
}

// Routes mounts the API, the providers' callbacks and the console pages;
// and the demo provider, unless it is served elsewhere.
func (c *Component) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /payment/v1/callbacks/{provider}", c.callback)
	mux.HandleFunc("POST /payment/v1/payments", c.admin(c.start))
	mux.HandleFunc("GET /payment/v1/payments", c.admin(c.forRef))
	mux.HandleFunc("GET /payment/v1/payments/{id}", c.admin(c.get))
	mux.HandleFunc("GET /payment/v1/payments/{id}/receipt", c.admin(c.receipt))
	mux.HandleFunc("POST /payment/v1/payments/{id}/refund", c.admin(c.refund))
	mux.HandleFunc("GET /payment/v1/reconciliation", c.admin(c.reconciliation))
	mux.Handle("/payment/v1/", web.APINotFound)
	c.pages.Routes(mux)
	if !c.ProviderElsewhere {
		c.Gateway.Routes(mux)
	}
}

// ProviderRoutes mounts the demo provider's pages and API, for a site of
// their own.
func (c *Component) ProviderRoutes(mux *http.ServeMux) { c.Gateway.Routes(mux) }

// admin wraps a handler for callers with the admin credential; refusals
// are audited.
func (c *Component) admin(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := audit.Actor{Subject: "anonymous", SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		p, err := c.k.Admin.Verify(r)
		if err != nil {
			audit.Record(r.Context(), c.k.DB, who.Entry("payment.api", "payment"+strings.TrimPrefix(r.URL.Path, "/payment/v1"), audit.Denied, map[string]any{"method": r.Method}))
			web.WriteError(w, r, err)
			return
		}
		who.Subject = p.Subject
		w.Header().Set("Cache-Control", "no-store")
		next(w, r, who)
	}
}

// read audits an administrator's read of payments (they hold personal ids).
func (c *Component) read(r *http.Request, who audit.Actor, object string, detail map[string]any) error {
	return audit.Record(r.Context(), c.k.DB, who.Entry("payment.read", object, audit.OK, detail))
}

func (c *Component) callback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		web.WriteError(w, r, fault.New(fault.TooLarge, "payment.body_too_large", "Thông báo thanh toán quá lớn", "the notification is over 64 KiB"))
		return
	}
	n := Notification{Timestamp: r.Header.Get(HeaderTimestamp), Signature: r.Header.Get(HeaderSignature), Body: body}
	p, outcome, err := c.Svc.Notify(r.Context(), r.PathValue("provider"), n, web.ClientIP(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, CallbackAnswer{Outcome: string(outcome), PaymentID: p.ID, Status: p.Status})
}

// CallbackAnswer is the adapter's answer to an accepted notification.
type CallbackAnswer struct {
	Outcome   string `json:"outcome"` // applied or replayed
	PaymentID string `json:"payment_id"`
	Status    string `json:"status"`
}

func (c *Component) start(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in Request
	if err := web.DecodeJSON(r, &in, 64<<10); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := c.Svc.Start(r.Context(), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (c *Component) forRef(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	ref := strings.TrimSpace(r.URL.Query().Get("ref"))
	if ref == "" {
		web.WriteError(w, r, fault.Invalidf([]fault.FieldError{fe("ref", "ref.required", "Hãy nhập mã hồ sơ", "ref is required")}, "ref required"))
		return
	}
	ps, err := c.Svc.ForRef(r.Context(), ref)
	if err == nil {
		err = c.read(r, who, "payment/ref/"+ref, nil)
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"payments": ps})
}

func (c *Component) get(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	p, err := c.Svc.Get(r.Context(), r.PathValue("id"))
	if err == nil {
		err = c.read(r, who, "payment/"+p.ID, nil)
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (c *Component) receipt(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	rc, err := c.Svc.Receipt(r.Context(), r.PathValue("id"))
	if err == nil {
		err = c.read(r, who, "payment/"+rc.PaymentID+"/receipt", nil)
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rc)
}

// RefundRequest is the body of a refund.
type RefundRequest struct {
	Reason string `json:"reason"`
}

func (c *Component) refund(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	var in RefundRequest
	if err := web.DecodeJSON(r, &in, 16<<10); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := c.Svc.Refund(r.Context(), r.PathValue("id"), in.Reason, who.Subject)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

// period reads from and to (YYYY-MM-DD, days in Vietnam, both included)
// into [from, to); missing ones default to this month up to today.
func period(from, to string, now time.Time) (time.Time, time.Time, error) {
	now = now.In(ict)
	day := func(s string, def time.Time) (time.Time, bool) {
		if s == "" {
			return def, true
		}
		t, err := time.ParseInLocation("2006-01-02", s, ict)
		return t, err == nil
	}
	f, ok1 := day(strings.TrimSpace(from), time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, ict))
	t, ok2 := day(strings.TrimSpace(to), time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, ict))
	var fs []fault.FieldError
	if !ok1 {
		fs = append(fs, fe("from", "from.format", "Ngày bắt đầu phải có dạng năm-tháng-ngày, ví dụ 2026-01-31", "from must be YYYY-MM-DD"))
	}
	if !ok2 {
		fs = append(fs, fe("to", "to.format", "Ngày kết thúc phải có dạng năm-tháng-ngày, ví dụ 2026-01-31", "to must be YYYY-MM-DD"))
	}
	if len(fs) > 0 {
		return f, t, fault.Invalidf(fs, "bad period")
	}
	return f, t.AddDate(0, 0, 1), nil
}

func (c *Component) reconciliation(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	q := r.URL.Query()
	from, to, err := period(q.Get("from"), q.Get("to"), c.Svc.now())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := c.Svc.Reconcile(r.Context(), q.Get("agency"), from, to)
	if err == nil {
		err = audit.Record(r.Context(), c.k.DB, who.Entry("payment.reconcile", "payment/agency/"+rep.Agency, audit.OK,
			map[string]any{"from": q.Get("from"), "to": q.Get("to"), "mismatches": rep.Totals.Mismatches}))
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if q.Get("format") == "csv" || (q.Get("format") == "" && strings.Contains(r.Header.Get("Accept"), "text/csv")) {
		writeCSV(w, rep)
		return
	}
	web.WriteJSON(w, http.StatusOK, rep)
}

func writeCSV(w http.ResponseWriter, rep Report) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="doi-soat-`+strings.ReplaceAll(rep.Agency, ".", "")+`-`+rep.From.In(ict).Format("20060102")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	rep.WriteCSV(w)
}
