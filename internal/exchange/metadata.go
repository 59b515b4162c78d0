package exchange

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/exchange/xroad"
)

// The metadata services follow the X-Road service metadata protocol for
// REST: listClients on the client side; listMethods, allowedMethods and
// getOpenAPI answered by the provider's gateway.

type metaID struct {
	Instance   string `json:"xroad_instance"`
	Class      string `json:"member_class"`
	Member     string `json:"member_code"`
	Subsystem  string `json:"subsystem_code,omitempty"`
	ObjectType string `json:"object_type"`
}

type metaClient struct {
	ID   metaID `json:"id"`
	Name string `json:"name"`
}

type metaService struct {
	Instance    string `json:"xroad_instance"`
	Class       string `json:"member_class"`
	Member      string `json:"member_code"`
	Subsystem   string `json:"subsystem_code"`
	Service     string `json:"service_code"`
	ObjectType  string `json:"object_type"`
	ServiceType string `json:"service_type"`
}

func writeMeta(w http.ResponseWriter, v any) []byte {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
	return b
}

// listClients answers every member and subsystem of the global
// configuration.
func (g *Gateway) listClients(w http.ResponseWriter, r *http.Request) {
	ix := g.conf.current(g.now())
	if ix == nil {
		g.fail(w, r, "client", xerr(xroad.TypeClientProxyOutdatedGlobalConf, "the gateway has no valid global configuration"), nil)
		return
	}
	var out []metaClient
	for _, m := range ix.conf.Members {
		out = append(out, metaClient{ID: metaID{Instance: ix.conf.Instance, Class: m.Class, Member: m.Code, ObjectType: "MEMBER"}, Name: m.Name})
		for _, s := range m.Subsystems {
			out = append(out, metaClient{ID: metaID{Instance: ix.conf.Instance, Class: m.Class, Member: m.Code, Subsystem: s.Subsystem, ObjectType: "SUBSYSTEM"}, Name: m.Name})
		}
	}
	if out == nil {
		out = []metaClient{}
	}
	writeMeta(w, map[string]any{"member": out})
}

// metadata answers listMethods, allowedMethods and getOpenAPI for a
// provider subsystem served here.
func (g *Gateway) metadata(w http.ResponseWriter, r *http.Request, svc xroad.ServiceID, client xroad.ClientID, ix *confIndex, idx *serviceIndex, rec *msglog.Record) {
	prefix := svc.Client.String() + "/"
	var entries []*serviceEntry
	for id, e := range idx.byID {
		if strings.HasPrefix(id, prefix) {
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Code < entries[j].Code })
	groups := ix.groupsOf[client.String()]
	mayCall := func(e *serviceEntry) bool {
		for _, a := range e.access {
			if a.Subject == client.String() || (strings.HasPrefix(a.Subject, "group:") && hasGroup(groups, strings.TrimPrefix(a.Subject, "group:"))) {
				return true
			}
		}
		return false
	}
	status := http.StatusOK
	var body []byte
	hasher := xroad.NewRequestHasher(r.Method, r.URL.RequestURI(), xroad.FilterHeaders(r.Header))
	io.Copy(io.Discard, hasher.TeeBody(r.Body))
	rec.RequestHash = hasher.Sum()
	h := w.Header()
	h.Set(xroad.HeaderClient, client.Encode())
	h.Set(xroad.HeaderService, svc.Encode())
	h.Set(xroad.HeaderID, rec.MessageID)
	h.Set(xroad.HeaderRequestID, uuid.NewString())
	h.Set(xroad.HeaderRequestHash, rec.RequestHash)
	switch svc.Service {
	case metaListMethods, metaAllowedMethods:
		out := []metaService{}
		for _, e := range entries {
			if svc.Service == metaAllowedMethods && !mayCall(e) {
				continue
			}
			out = append(out, metaService{Instance: svc.Client.Instance, Class: svc.Client.Class, Member: svc.Client.Member, Subsystem: svc.Client.Subsystem,
				Service: e.Code, ObjectType: "SERVICE", ServiceType: "OPENAPI"})
		}
		body = writeMeta(w, map[string]any{"service": out})
	case metaGetOpenAPI:
		code := r.URL.Query().Get("serviceCode")
		var found *serviceEntry
		for _, e := range entries {
			if e.Code == code {
				found = e
			}
		}
		switch {
		case code == "":
			g.fail(w, r, "provider", xerr(xroad.TypeBadRequest, "getOpenAPI needs the query parameter serviceCode"), rec)
			return
		case found == nil:
			g.fail(w, r, "provider", xerr(xroad.TypeServerProxyUnknownService, "no service "+code+" at "+svc.Client.String()), rec)
			return
		case !mayCall(found):
			g.fail(w, r, "provider", xerr(xroad.TypeServerProxyAccessDenied, "client "+client.String()+" has no access right to service "+code), rec)
			return
		}
		ct := "application/yaml; charset=utf-8"
		if strings.HasPrefix(strings.TrimSpace(found.OpenAPI), "{") {
			ct = "application/json; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		body = []byte(found.OpenAPI)
		w.Write(body)
	}
	rec.Status, rec.Finished = status, g.now()
	rb := newBodyHash(nil)
	rb.Write(body)
	rec.ResponseBodyHash = rb.sum()
	if err := g.msgs.Append(r.Context(), *rec); err != nil {
		g.log.Error("exchange: message log", "err", err)
	}
	g.metrics.observe(g.ID, "provider", rec.Client, rec.Service, status, "", rec.Finished.Sub(rec.Started))
}
