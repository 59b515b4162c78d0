package exchange

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/pki"
	"github.com/vngov/vngov/internal/platform/store"
)

// Registry is the hub's register of members, subsystems, gateways and
// groups: the source of the global configuration.
type Registry struct {
	db       *store.DB
	instance string
}

// NewRegistry returns the registry of instance over db.
func NewRegistry(db *store.DB, instance string) *Registry {
	return &Registry{db: db, instance: instance}
}

func partError(field, v string) fault.FieldError {
	return fault.FieldError{Field: field, Code: "identifier.format",
		Message: fmt.Sprintf("%q không hợp lệ: chỉ dùng chữ cái không dấu, chữ số và các ký tự ' ( ) + , - . = ?, tối đa 255 ký tự", v),
		Detail:  fmt.Sprintf("%q is not a valid identifier part: use A-Z a-z 0-9 and ' ( ) + , - . = ?, at most 255 characters", v)}
}

func checkParts(pairs ...string) error {
	var fields []fault.FieldError
	for i := 0; i+1 < len(pairs); i += 2 {
		if !validPart(pairs[i+1]) {
			fields = append(fields, partError(pairs[i], pairs[i+1]))
		}
	}
	if len(fields) > 0 {
		return fault.Invalidf(fields, "invalid identifier")
	}
	return nil
}

func checkClass(class string) error {
	switch class {
	case ClassGOV, ClassCOM, ClassORG:
		return nil
	}
	return fault.Invalidf([]fault.FieldError{{Field: "class", Code: "class.value",
		Message: "Loại thành viên phải là GOV (cơ quan nhà nước), COM (doanh nghiệp) hoặc ORG (tổ chức khác)",
		Detail:  "class must be GOV, COM or ORG"}}, "invalid member class")
}

func conflict(what string, err error) error {
	if store.IsUniqueViolation(err) {
		return fault.New(fault.Conflict, "exchange.exists", what+" đã được đăng ký", what+" is already registered")
	}
	return err
}

// AddMember registers a member.
func (r *Registry) AddMember(ctx context.Context, who audit.Actor, m Member) error {
	if err := checkClass(m.Class); err != nil {
		return err
	}
	if err := checkParts("code", m.Code); err != nil {
		return err
	}
	if strings.TrimSpace(m.Name) == "" {
		return fault.Invalidf([]fault.FieldError{{Field: "name", Code: "name.required", Message: "Tên thành viên không được để trống", Detail: "name is required"}}, "name required")
	}
	return r.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO xr_member (class, code, name, created_at) VALUES (?, ?, ?, ?)", m.Class, m.Code, m.Name, time.Now().UnixMicro())
		if err != nil {
			return conflict("Thành viên "+m.Class+"/"+m.Code, err)
		}
		return audit.Record(ctx, tx, who.Entry("exchange.member.add", "exchange/member/"+m.Class+"/"+m.Code, audit.OK, map[string]any{"name": m.Name}))
	})
}

func (r *Registry) memberExists(ctx context.Context, q store.Querier, class, code string) error {
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM xr_member WHERE class = ? AND code = ?", class, code).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fault.NotFoundf("exchange.member_not_found", "Chưa có thành viên "+class+"/"+code+": hãy đăng ký thành viên trước", "no member %s/%s: add the member first", class, code)
	}
	return nil
}

// AddSubsystem registers a subsystem of an existing member.
func (r *Registry) AddSubsystem(ctx context.Context, who audit.Actor, s Subsystem) error {
	if err := checkParts("code", s.Code, "subsystem", s.Subsystem); err != nil {
		return err
	}
	return r.db.Tx(ctx, func(tx *store.Tx) error {
		if err := r.memberExists(ctx, tx, s.Class, s.Code); err != nil {
			return err
		}
		var gw any
		if s.Gateway != "" {
			if err := gatewayExists(ctx, tx, s.Gateway); err != nil {
				return err
			}
			gw = s.Gateway
		}
		_, err := tx.Exec(ctx, "INSERT INTO xr_subsystem (class, code, subsystem, name, gateway_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			s.Class, s.Code, s.Subsystem, s.Name, gw, time.Now().UnixMicro())
		if err != nil {
			return conflict("Hệ thống "+s.Class+"/"+s.Code+"/"+s.Subsystem, err)
		}
		return audit.Record(ctx, tx, who.Entry("exchange.subsystem.add", "exchange/subsystem/"+s.Class+"/"+s.Code+"/"+s.Subsystem, audit.OK, map[string]any{"gateway": s.Gateway}))
	})
}

func gatewayExists(ctx context.Context, q store.Querier, id string) error {
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM xr_gateway WHERE id = ?", id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fault.NotFoundf("exchange.gateway_not_found", "Chưa có cổng kết nối "+id, "no gateway %q", id)
	}
	return nil
}

// AssignSubsystem makes gateway serve the subsystem (empty: none).
func (r *Registry) AssignSubsystem(ctx context.Context, who audit.Actor, class, code, subsystem, gateway string) error {
	return r.db.Tx(ctx, func(tx *store.Tx) error {
		var gw any
		if gateway != "" {
			if err := gatewayExists(ctx, tx, gateway); err != nil {
				return err
			}
			gw = gateway
		}
		res, err := tx.Exec(ctx, "UPDATE xr_subsystem SET gateway_id = ? WHERE class = ? AND code = ? AND subsystem = ?", gw, class, code, subsystem)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFoundf("exchange.subsystem_not_found", "Chưa có hệ thống "+class+"/"+code+"/"+subsystem, "no subsystem %s/%s/%s", class, code, subsystem)
		}
		return audit.Record(ctx, tx, who.Entry("exchange.subsystem.assign", "exchange/subsystem/"+class+"/"+code+"/"+subsystem, audit.OK, map[string]any{"gateway": gateway}))
	})
}

// AddGateway registers a gateway with its provider-side address and its
// certificate (PEM, issued by the hub's CA).
func (r *Registry) AddGateway(ctx context.Context, who audit.Actor, ca *pki.CA, g GatewayRecord) (GatewayRecord, error) {
	if err := checkParts("owner_code", g.OwnerCode, "server_code", g.ServerCode); err != nil {
		return g, err
	}
	cert, err := pki.DecodeCert([]byte(g.CertPEM))
	if err == nil && ca != nil {
		err = pki.VerifyIssued(ca.Cert, cert, time.Now())
	}
	if err != nil {
		return g, fault.Invalidf([]fault.FieldError{{Field: "cert_pem", Code: "cert.invalid",
			Message: "Chứng thư số của cổng kết nối không hợp lệ hoặc không do CA của trục cấp: hãy xin cấp bằng vngov pki issue",
			Detail:  "the gateway certificate is invalid or not issued by the hub's CA: " + err.Error()}}, "bad certificate")
	}
	if strings.TrimSpace(g.Address) == "" || strings.Contains(g.Address, "/") {
		return g, fault.Invalidf([]fault.FieldError{{Field: "address", Code: "address.format", Message: "Địa chỉ phải có dạng máy:cổng, ví dụ 10.0.0.5:8443", Detail: "address must be host:port"}}, "bad address")
	}
	g.ID = g.OwnerClass + "/" + g.OwnerCode + "/" + g.ServerCode
	g.Fingerprint = pki.Fingerprint(cert)
	err = r.db.Tx(ctx, func(tx *store.Tx) error {
		if err := r.memberExists(ctx, tx, g.OwnerClass, g.OwnerCode); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO xr_gateway (id, owner_class, owner_code, server_code, address, cert_pem, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			g.ID, g.OwnerClass, g.OwnerCode, g.ServerCode, g.Address, g.CertPEM, g.Fingerprint, time.Now().UnixMicro())
		if err != nil {
			return conflict("Cổng kết nối "+g.ID, err)
		}
		return audit.Record(ctx, tx, who.Entry("exchange.gateway.add", "exchange/gateway/"+g.ID, audit.OK, map[string]any{"address": g.Address, "fingerprint": g.Fingerprint}))
	})
	return g, err
}

// AddGroup creates a global group.
func (r *Registry) AddGroup(ctx context.Context, who audit.Actor, code, description string) error {
	if err := checkParts("code", code); err != nil {
		return err
	}
	return r.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO xr_group (code, description, created_at) VALUES (?, ?, ?)", code, description, time.Now().UnixMicro()); err != nil {
			return conflict("Nhóm "+code, err)
		}
		return audit.Record(ctx, tx, who.Entry("exchange.group.add", "exchange/group/"+code, audit.OK, nil))
	})
}

// AddGroupMember adds a subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM) to a group.
func (r *Registry) AddGroupMember(ctx context.Context, who audit.Actor, group, client string) error {
	parts := strings.Split(client, "/")
	if len(parts) != 4 || parts[0] != r.instance {
		return fault.Invalidf([]fault.FieldError{{Field: "client", Code: "client.format", Message: "Hệ thống phải có dạng " + r.instance + "/LOẠI/MÃ/HỆ THỐNG", Detail: "client must be " + r.instance + "/CLASS/MEMBER/SUBSYSTEM"}}, "bad client")
	}
	return r.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		tx.QueryRow(ctx, "SELECT COUNT(*) FROM xr_subsystem WHERE class = ? AND code = ? AND subsystem = ?", parts[1], parts[2], parts[3]).Scan(&n)
		if n == 0 {
			return fault.NotFoundf("exchange.subsystem_not_found", "Chưa có hệ thống "+client, "no subsystem %s", client)
		}
		var g int
		tx.QueryRow(ctx, "SELECT COUNT(*) FROM xr_group WHERE code = ?", group).Scan(&g)
		if g == 0 {
			return fault.NotFoundf("exchange.group_not_found", "Chưa có nhóm "+group, "no group %q", group)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO xr_group_member (group_code, client) VALUES (?, ?) ON CONFLICT DO NOTHING", group, client); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("exchange.group.member.add", "exchange/group/"+group, audit.OK, map[string]any{"client": client}))
	})
}

// Members lists every member with its subsystems.
func (r *Registry) Members(ctx context.Context) ([]Member, []Subsystem, error) {
	rows, err := r.db.Query(ctx, "SELECT class, code, name FROM xr_member ORDER BY class, code")
	if err != nil {
		return nil, nil, fmt.Errorf("exchange: members: %w", err)
	}
	var ms []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.Class, &m.Code, &m.Name); err != nil {
			rows.Close()
			return nil, nil, err
		}
		ms = append(ms, m)
	}
	rows.Close()
	rows, err = r.db.Query(ctx, "SELECT class, code, subsystem, name, gateway_id FROM xr_subsystem ORDER BY class, code, subsystem")
	if err != nil {
		return nil, nil, fmt.Errorf("exchange: subsystems: %w", err)
	}
	defer rows.Close()
	var ss []Subsystem
	for rows.Next() {
		var s Subsystem
		var gw sql.NullString
		if err := rows.Scan(&s.Class, &s.Code, &s.Subsystem, &s.Name, &gw); err != nil {
			return nil, nil, err
		}
		s.Gateway = gw.String
		ss = append(ss, s)
	}
	return ms, ss, rows.Err()
}

// Gateways lists the registered gateways.
func (r *Registry) Gateways(ctx context.Context) ([]GatewayRecord, error) {
	rows, err := r.db.Query(ctx, "SELECT id, owner_class, owner_code, server_code, address, cert_pem, fingerprint FROM xr_gateway ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("exchange: gateways: %w", err)
	}
	defer rows.Close()
	var out []GatewayRecord
	for rows.Next() {
		var g GatewayRecord
		if err := rows.Scan(&g.ID, &g.OwnerClass, &g.OwnerCode, &g.ServerCode, &g.Address, &g.CertPEM, &g.Fingerprint); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Groups lists the global groups with their members.
func (r *Registry) Groups(ctx context.Context) ([]Group, error) {
	rows, err := r.db.Query(ctx, "SELECT g.code, g.description, COALESCE(m.client, '') FROM xr_group g LEFT JOIN xr_group_member m ON m.group_code = g.code ORDER BY g.code, m.client")
	if err != nil {
		return nil, fmt.Errorf("exchange: groups: %w", err)
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var code, desc, client string
		if err := rows.Scan(&code, &desc, &client); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Code != code {
			out = append(out, Group{Code: code, Description: desc, Members: []string{}})
		}
		if client != "" {
			out[len(out)-1].Members = append(out[len(out)-1].Members, client)
		}
	}
	return out, rows.Err()
}

// IsEmpty reports whether no member is registered yet (for seeding).
func (r *Registry) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	err := r.db.QueryRow(ctx, "SELECT COUNT(*) FROM xr_member").Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return n == 0, err
}

// UpdateGateway changes a gateway's address and certificate (a move, or a
// renewed certificate).
func (r *Registry) UpdateGateway(ctx context.Context, who audit.Actor, id, address, certPEM string) error {
	cert, err := pki.DecodeCert([]byte(certPEM))
	if err != nil {
		return fault.Invalidf([]fault.FieldError{{Field: "cert_pem", Code: "cert.invalid", Message: "Chứng thư số không hợp lệ", Detail: err.Error()}}, "bad certificate")
	}
	fp := pki.Fingerprint(cert)
	return r.db.Tx(ctx, func(tx *store.Tx) error {
		var addr, old string
		err := tx.QueryRow(ctx, "SELECT address, fingerprint FROM xr_gateway WHERE id = ?", id).Scan(&addr, &old)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("exchange.gateway_not_found", "Chưa có cổng kết nối "+id, "no gateway %q", id)
		}
		if err != nil {
			return err
		}
		if addr == address && old == fp {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE xr_gateway SET address = ?, cert_pem = ?, fingerprint = ? WHERE id = ?", address, certPEM, fp, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("exchange.gateway.update", "exchange/gateway/"+id, audit.OK, map[string]any{"address": address, "fingerprint": fp}))
	})
}
