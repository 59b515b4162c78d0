// Package xroad is the wire protocol of the data exchange: the X-Road
// Message Protocol for REST (PR-REST, protocol version r1) and the REST
// service metadata protocol (PR-MREST), so that any information system that
// can call an X-Road security server can call a vngov gateway unchanged.
//
// It holds only what both ends of an exchange must agree on byte for byte:
// identifiers and how they are written in URLs and headers, the error
// answer, the filtered headers, the request hash, path normalisation for
// access rights, and the metadata JSON. It does no I/O of its own.
//
// Terms, one English name each (X-Road's name in brackets where it differs):
//
//   - instance: one exchange, e.g. VN or VN-TEST [X-Road instance].
//   - member: an agency, enterprise or organisation, named by class (GOV, COM,
//     ORG) and code (thành viên).
//   - subsystem: one information system of a member (hệ thống thông tin).
//   - client: the member or subsystem that makes a call [service client,
//     consumer].
//   - provider: the subsystem that offers a service [service provider].
//   - service: a provider's service, named by a service code.
//   - endpoint: one method and path pattern of a service, the unit of access
//     rights.
//   - gateway: the component that carries calls [security server]; the
//     client gateway [consumer security server, client proxy] takes calls
//     from local information systems, the provider gateway [provider
//     security server, server proxy] checks access and calls the backend.
//   - backend: the provider's information system that answers the call
//     [provider information system].
//   - hub: the central registry that publishes the global configuration
//     [central server].
package xroad
