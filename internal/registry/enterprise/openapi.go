package enterprise

// OpenAPI returns the OpenAPI 3 description of one of the registry's
// exchange services (its endpoints become the units of access rights), or
// "" for an unknown code. Paths are relative to the service's own prefix.
func OpenAPI(service string) string {
	const head = "openapi: 3.0.3\ninfo:\n  version: \"1\"\n  title: "
	codeParam := "      parameters:\n        - {name: code, in: path, required: true, description: \"Mã số doanh nghiệp (mã số thuế) 10 chữ số\", schema: {type: string, pattern: \"^[0-9]{10}$\"}}\n"
	purpose := "      description: Chỉ gọi qua cổng kết nối với X-Road-UserId (cán bộ) và X-Road-Issue (mục đích, ví dụ mã hồ sơ); mỗi lần đọc được ghi vào nhật ký truy cập của từng người có số định danh trong dữ liệu trả về.\n"
	problems := "        \"400\": {description: Thiếu X-Road-Client, X-Road-UserId hoặc X-Road-Issue}\n"
	switch service {
	case ServiceEnterprise:
		return head + "Thông tin đăng ký doanh nghiệp (đầy đủ)\npaths:\n  /enterprise/{code}:\n    get:\n      summary: Hồ sơ đăng ký doanh nghiệp hiện hành, gồm người đại diện theo pháp luật và thành viên\n" + purpose + codeParam +
			"      responses:\n        \"200\": {description: Hồ sơ doanh nghiệp}\n" + problems + "        \"404\": {description: Không có doanh nghiệp}\n"
	case ServiceSearch:
		return head + "Tìm doanh nghiệp theo tên hoặc mã số\npaths:\n  /enterprises:\n    get:\n      summary: Tìm theo mã số, phần đầu của tên hoặc các từ trong tên (không phân biệt dấu); không trả dữ liệu cá nhân\n" + purpose +
			"      parameters:\n        - {name: name, in: query, required: true, description: Tên (hoặc mã số) cần tìm, schema: {type: string}}\n        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 200, default: 50}}\n        - {name: offset, in: query, schema: {type: integer, minimum: 0}}\n" +
			"      responses:\n        \"200\": {description: \"Các doanh nghiệp tìm thấy (items) và tổng số (total, tối đa 10001)\"}\n" + problems + "        \"422\": {description: Thiếu tên cần tìm}\n"
	case ServiceRepresentatives:
		return head + "Người đại diện theo pháp luật của doanh nghiệp\npaths:\n  /enterprise/{code}/representatives:\n    get:\n      summary: Số định danh của những người đại diện theo pháp luật và tình trạng doanh nghiệp\n" + purpose + codeParam +
			"      responses:\n        \"200\": {description: Người đại diện theo pháp luật}\n" + problems + "        \"404\": {description: Không có doanh nghiệp}\n"
	case ServiceChanges:
		return head + "Biến động đăng ký doanh nghiệp (chỉ mã và tên trường thay đổi)\npaths:\n  /changes:\n    get:\n      parameters:\n        - {name: after, in: query, schema: {type: integer}}\n        - {name: kinds, in: query, description: \"created, updated, status-changed, representatives-changed, head-office-changed\", schema: {type: string}}\n        - {name: limit, in: query, schema: {type: integer, maximum: 1000}}\n      responses:\n        \"200\": {description: Các thay đổi sau vị trí after}\n"
	}
	return ""
}
