package xroad

import "encoding/json"

// Metadata services (PR-META, PR-MREST). listClients is a plain GET on the
// gateway, outside the /r1 tree; the others are called like services of a
// provider, e.g. GET /r1/VN/GOV/000.00.00.G22/SUB/listMethods.
const (
	// PathListClients answers a ClientList; the query parameter
	// QueryXRoadInstance picks another instance than the gateway's own, and
	// "Accept: application/json" asks for JSON (XML otherwise).
	PathListClients = "/listClients"
	// ServiceListMethods answers a MethodList of every REST service of the
	// provider.
	ServiceListMethods = "listMethods"
	// ServiceAllowedMethods answers a MethodList of the provider's services
	// and endpoints the caller has access rights to.
	ServiceAllowedMethods = "allowedMethods"
	// ServiceGetOpenAPI answers the OpenAPI description of the service named
	// by the query parameter QueryServiceCode (JSON or YAML, as stored).
	ServiceGetOpenAPI = "getOpenAPI"

	// QueryXRoadInstance is listClients' instance parameter.
	QueryXRoadInstance = "xRoadInstance"
	// QueryServiceCode is getOpenAPI's service parameter.
	QueryServiceCode = "serviceCode"
)

// IsMetaService reports whether a service code names a metadata service,
// which listMethods and allowedMethods must not list.
func IsMetaService(code string) bool {
	switch code {
	case ServiceListMethods, ServiceAllowedMethods, ServiceGetOpenAPI:
		return true
	}
	return false
}

// Object types, the "object_type" of identifiers in metadata answers.
const (
	ObjectMember    = "MEMBER"
	ObjectSubsystem = "SUBSYSTEM"
	ObjectService   = "SERVICE"
)

// Service types, the "service_type" of a service in a MethodList: REST when
// its endpoints were entered by hand, OPENAPI when they come from its
// OpenAPI description.
const (
	ServiceTypeREST    = "REST"
	ServiceTypeOpenAPI = "OPENAPI"
)

// ClientList is the JSON answer of listClients:
// {"member":[{"id":{...},"name":...}, ...]}.
type ClientList struct {
	Member []ClientEntry `json:"member"`
}

// MarshalJSON writes an empty list as [] rather than null.
func (l ClientList) MarshalJSON() ([]byte, error) {
	type plain ClientList
	if l.Member == nil {
		l.Member = []ClientEntry{}
	}
	return json.Marshal(plain(l))
}

// ClientEntry is one member or subsystem in a ClientList.
type ClientEntry struct {
	ID   ClientIdentifier `json:"id"`
	Name string           `json:"name"` // the member's name
	// SubsystemName is the subsystem's own name, for subsystems that have
	// one (newer X-Road versions send it).
	SubsystemName string `json:"subsystem_name,omitempty"`
}

// ClientIdentifier is a member or subsystem identifier as metadata answers
// write it.
type ClientIdentifier struct {
	MemberClass   string `json:"member_class"`
	MemberCode    string `json:"member_code"`
	SubsystemCode string `json:"subsystem_code,omitempty"`
	ObjectType    string `json:"object_type"` // ObjectMember or ObjectSubsystem
	XRoadInstance string `json:"xroad_instance"`
}

// NewClientEntry describes a member or subsystem for listClients.
func NewClientEntry(id ClientID, name, subsystemName string) ClientEntry {
	typ := ObjectMember
	if id.IsSubsystem() {
		typ = ObjectSubsystem
	}
	return ClientEntry{
		ID: ClientIdentifier{
			MemberClass:   id.Class,
			MemberCode:    id.Member,
			SubsystemCode: id.Subsystem,
			ObjectType:    typ,
			XRoadInstance: id.Instance,
		},
		Name:          name,
		SubsystemName: subsystemName,
	}
}

// ClientID returns the identifier as a ClientID.
func (c ClientIdentifier) ClientID() ClientID {
	return ClientID{Instance: c.XRoadInstance, Class: c.MemberClass, Member: c.MemberCode, Subsystem: c.SubsystemCode}
}

// MethodList is the JSON answer of listMethods and allowedMethods:
// {"service":[{...,"endpoint_list":[{"method":...,"path":...}]}, ...]}.
type MethodList struct {
	Service []MethodService `json:"service"`
}

// MarshalJSON writes empty lists as [] rather than null.
func (l MethodList) MarshalJSON() ([]byte, error) {
	type plain MethodList
	if l.Service == nil {
		l.Service = []MethodService{}
	}
	return json.Marshal(plain(l))
}

// MethodService is one service in a MethodList, with its endpoints (for
// allowedMethods, only those the caller may call; patterns may hold
// wildcards, see MatchEndpoint).
type MethodService struct {
	MemberClass   string           `json:"member_class"`
	MemberCode    string           `json:"member_code"`
	ObjectType    string           `json:"object_type"` // always ObjectService
	ServiceCode   string           `json:"service_code"`
	ServiceType   string           `json:"service_type"` // ServiceTypeREST or ServiceTypeOpenAPI
	SubsystemCode string           `json:"subsystem_code"`
	XRoadInstance string           `json:"xroad_instance"`
	EndpointList  []MethodEndpoint `json:"endpoint_list"`
}

// MarshalJSON writes an empty endpoint list as [] rather than null.
func (s MethodService) MarshalJSON() ([]byte, error) {
	type plain MethodService
	if s.EndpointList == nil {
		s.EndpointList = []MethodEndpoint{}
	}
	return json.Marshal(plain(s))
}

// MethodEndpoint is one endpoint of a MethodService.
type MethodEndpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// NewMethodService describes a service for listMethods or allowedMethods.
func NewMethodService(id ServiceID, serviceType string, endpoints []MethodEndpoint) MethodService {
	return MethodService{
		MemberClass:   id.Client.Class,
		MemberCode:    id.Client.Member,
		ObjectType:    ObjectService,
		ServiceCode:   id.Service,
		ServiceType:   serviceType,
		SubsystemCode: id.Client.Subsystem,
		XRoadInstance: id.Client.Instance,
		EndpointList:  endpoints,
	}
}

// ServiceID returns the service's identifier.
func (s MethodService) ServiceID() ServiceID {
	return ServiceID{
		Client:  ClientID{Instance: s.XRoadInstance, Class: s.MemberClass, Member: s.MemberCode, Subsystem: s.SubsystemCode},
		Service: s.ServiceCode,
	}
}
