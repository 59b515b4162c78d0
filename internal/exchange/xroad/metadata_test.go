package xroad

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The examples below are PR-META annex C.1 and PR-MREST annex B.1, trimmed.

const specClientList = `{
  "member": [
    {"id": {"member_class": "GOV", "member_code": "TS1OWNER", "object_type": "MEMBER", "xroad_instance": "AA"}, "name": "TS1 Owner"},
    {"id": {"member_class": "ENT", "member_code": "CLIENT1", "subsystem_code": "sub", "object_type": "SUBSYSTEM", "xroad_instance": "AA"},
     "name": "Client One", "subsystem_name": "Client One Sub"}
  ]
}`

const specMethodList = `{
  "service": [
    {"member_class": "CLASS2", "member_code": "MEMBER2", "object_type": "SERVICE", "service_code": "payloadgen",
     "service_type": "OPENAPI", "subsystem_code": "SUBSYSTEM2", "xroad_instance": "INSTANCE",
     "endpoint_list": [{"method": "PUT", "path": "/pet"}, {"method": "GET", "path": "/pet/*"}, {"method": "POST", "path": "/pet/*/uploadImage"}]},
    {"member_class": "CLASS2", "member_code": "MEMBER2", "object_type": "SERVICE", "service_code": "kore",
     "service_type": "REST", "subsystem_code": "SUBSYSTEM2", "xroad_instance": "INSTANCE",
     "endpoint_list": [{"method": "GET", "path": "/school"}]}
  ]
}`

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestClientListMatchesSpec(t *testing.T) {
	l := ClientList{Member: []ClientEntry{
		NewClientEntry(ClientID{"AA", "GOV", "TS1OWNER", ""}, "TS1 Owner", ""),
		NewClientEntry(ClientID{"AA", "ENT", "CLIENT1", "sub"}, "Client One", "Client One Sub"),
	}}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), compact(t, specClientList); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back ClientList
	if err := json.Unmarshal([]byte(specClientList), &back); err != nil {
		t.Fatal(err)
	}
	if back.Member[1].ID.ClientID() != (ClientID{"AA", "ENT", "CLIENT1", "sub"}) || back.Member[0].ID.ClientID().IsSubsystem() {
		t.Errorf("decoded %+v", back)
	}
}

func TestMethodListMatchesSpec(t *testing.T) {
	provider := ClientID{"INSTANCE", "CLASS2", "MEMBER2", "SUBSYSTEM2"}
	l := MethodList{Service: []MethodService{
		NewMethodService(ServiceID{provider, "payloadgen"}, ServiceTypeOpenAPI, []MethodEndpoint{
			{"PUT", "/pet"}, {"GET", "/pet/*"}, {"POST", "/pet/*/uploadImage"}}),
		NewMethodService(ServiceID{provider, "kore"}, ServiceTypeREST, []MethodEndpoint{{"GET", "/school"}}),
	}}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), compact(t, specMethodList); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back MethodList
	if err := json.Unmarshal([]byte(specMethodList), &back); err != nil {
		t.Fatal(err)
	}
	if back.Service[1].ServiceID() != (ServiceID{provider, "kore"}) || len(back.Service[0].EndpointList) != 3 {
		t.Errorf("decoded %+v", back)
	}
}

func TestMetadataEmptyLists(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{ClientList{}, `{"member":[]}`},
		{MethodList{}, `{"service":[]}`},
		{MethodList{Service: []MethodService{NewMethodService(ServiceID{ClientID{"VN", "GOV", "M", "S"}, "x"}, ServiceTypeREST, nil)}},
			`{"service":[{"member_class":"GOV","member_code":"M","object_type":"SERVICE","service_code":"x","service_type":"REST","subsystem_code":"S","xroad_instance":"VN","endpoint_list":[]}]}`},
		{&ClientList{}, `{"member":[]}`},
	} {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", tt.v, b, err, tt.want)
		}
	}
}

func TestIsMetaService(t *testing.T) {
	for code, want := range map[string]bool{"listMethods": true, "allowedMethods": true, "getOpenAPI": true,
		"listClients": false, "ListMethods": false, "citizen": false} {
		if IsMetaService(code) != want {
			t.Errorf("IsMetaService(%q) != %v", code, want)
		}
	}
}
