package population

// OpenAPI returns the OpenAPI 3 description of one of the registry's
// exchange services (its endpoints become the units of access rights), or
// "" for an unknown code.
func OpenAPI(service string) string {
	const head = "openapi: 3.0.3\ninfo:\n  version: \"1\"\n  title: "
	idParam := "      parameters:\n        - {name: id, in: path, required: true, description: Số định danh cá nhân 12 chữ số, schema: {type: string, pattern: \"^[0-9]{12}$\"}}\n"
	purpose := "      description: Chỉ gọi qua cổng kết nối với X-Road-UserId (cán bộ) và X-Road-Issue (mục đích, ví dụ mã hồ sơ); mỗi lần đọc được ghi vào nhật ký truy cập của công dân.\n"
	switch service {
	case ServicePerson:
		return head + "Thông tin công dân (đầy đủ)\npaths:\n  /person/{id}:\n    get:\n      summary: Hồ sơ công dân hiện hành\n" + purpose + idParam +
			"      responses:\n        \"200\": {description: Hồ sơ công dân}\n        \"404\": {description: Không có công dân}\n"
	case ServiceVerify:
		return head + "Xác thực thông tin công dân (khớp/không khớp)\npaths:\n  /person/verify:\n    post:\n      summary: So khớp các trường được khai với cơ sở dữ liệu, không trả dữ liệu\n" + purpose +
			"      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [id]\n              properties:\n                id: {type: string}\n                full_name: {type: string}\n                birth_date: {type: string}\n                sex: {type: string, enum: [male, female]}\n                permanent_commune: {type: string}\n                living: {type: boolean}\n" +
			"      responses:\n        \"200\": {description: Kết quả so khớp theo từng trường}\n"
	case ServiceHousehold:
		return head + "Hộ gia đình của công dân\npaths:\n  /person/{id}/household:\n    get:\n" + purpose + idParam + "      responses:\n        \"200\": {description: Hộ gia đình và các thành viên}\n"
	case ServiceRelations:
		return head + "Quan hệ nhân thân\npaths:\n  /person/{id}/relations:\n    get:\n" + purpose + idParam + "      responses:\n        \"200\": {description: Cha, mẹ, vợ hoặc chồng, con}\n"
	case ServiceAccessLog:
		return head + "Nhật ký truy cập dữ liệu của công dân\npaths:\n  /person/{id}/access-log:\n    get:\n      summary: Ai đã xem dữ liệu của công dân, khi nào, vì mục đích gì (chỉ cho chính công dân hoặc cơ quan kiểm tra)\n" + idParam + "      responses:\n        \"200\": {description: Nhật ký}\n        \"403\": {description: Không phải chính công dân hoặc cơ quan kiểm tra}\n"
	case ServiceChanges:
		return head + "Biến động dân cư (chỉ mã và tên trường thay đổi)\npaths:\n  /changes:\n    get:\n      parameters:\n        - {name: after, in: query, schema: {type: integer}}\n        - {name: kinds, in: query, description: \"created, updated, deceased, residence-changed\", schema: {type: string}}\n      responses:\n        \"200\": {description: Các thay đổi sau vị trí after}\n"
	}
	return ""
}

// Services lists the registry's exchange service codes.
func Services() []string {
	return []string{ServicePerson, ServiceVerify, ServiceHousehold, ServiceRelations, ServiceAccessLog, ServiceChanges}
}
