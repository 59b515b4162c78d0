package land

// OpenAPI returns the OpenAPI 3 description of one of the registry's
// exchange services (its endpoints become the units of access rights), or
// "" for an unknown code. Paths are relative to the service's own prefix.
func OpenAPI(service string) string {
	const head = "openapi: 3.0.3\ninfo:\n  version: \"1\"\n  title: "
	purpose := "      description: Chỉ gọi qua cổng kết nối với X-Road-UserId (cán bộ) và X-Road-Issue (mục đích, ví dụ mã hồ sơ); mỗi lần đọc được ghi vào nhật ký truy cập của từng cá nhân sử dụng đất trong dữ liệu trả về.\n"
	problems := "        \"400\": {description: Thiếu X-Road-Client, X-Road-UserId hoặc X-Road-Issue}\n"
	switch service {
	case ServiceParcel:
		return head + "Thông tin thửa đất\npaths:\n  /parcel/{id}:\n    get:\n      summary: Hồ sơ thửa đất hiện hành (diện tích, mục đích, thời hạn, nguồn gốc, người sử dụng đất, giấy chứng nhận, thế chấp)\n" + purpose +
			"      parameters:\n        - {name: id, in: path, required: true, description: \"Mã thửa đất: mã xã-số tờ bản đồ-số thửa, ví dụ 00004-12-345\", schema: {type: string, pattern: \"^[0-9]{5}-[1-9][0-9]*-[1-9][0-9]*$\"}}\n" +
			"      responses:\n        \"200\": {description: Hồ sơ thửa đất}\n" + problems + "        \"404\": {description: Không có thửa đất}\n"
	case ServiceByHolder:
		return head + "Các thửa đất của một người sử dụng đất\npaths:\n  /parcels:\n    get:\n      summary: Các thửa đất (tối đa 1000) mà một cá nhân hoặc doanh nghiệp đang sử dụng\n" + purpose +
			"      parameters:\n        - {name: holder, in: query, required: true, description: Số định danh cá nhân 12 chữ số hoặc mã số doanh nghiệp, schema: {type: string}}\n" +
			"      responses:\n        \"200\": {description: Các thửa đất}\n" + problems + "        \"422\": {description: Thiếu hoặc sai số định danh, mã số doanh nghiệp}\n"
	case ServiceChanges:
		return head + "Biến động đất đai (chỉ mã thửa và tên trường thay đổi)\npaths:\n  /changes:\n    get:\n      parameters:\n        - {name: after, in: query, schema: {type: integer}}\n        - {name: kinds, in: query, description: \"created, updated, holders-changed, mortgages-changed, purpose-changed\", schema: {type: string}}\n        - {name: limit, in: query, schema: {type: integer, maximum: 1000}}\n      responses:\n        \"200\": {description: Các thay đổi sau vị trí after}\n"
	}
	return ""
}
