package synth

// Street names, after historical figures and events, found in most towns.
var streetNames = []string{
	"Trần Hưng Đạo", "Lê Lợi", "Nguyễn Trãi", "Lý Thường Kiệt", "Hai Bà Trưng", "Quang Trung",
	"Nguyễn Huệ", "Hùng Vương", "Lê Duẩn", "Điện Biên Phủ", "Nguyễn Du", "Phan Chu Trinh",
	"Phan Bội Châu", "Trần Phú", "Hoàng Diệu", "Lê Thánh Tông", "Nguyễn Thị Minh Khai", "Võ Thị Sáu",
	"Cách Mạng Tháng Tám", "Lê Hồng Phong", "Ngô Quyền", "Bà Triệu", "Trần Quang Khải", "Nguyễn Văn Cừ",
	"Võ Văn Kiệt", "Tôn Đức Thắng", "Nguyễn Chí Thanh", "Nguyễn Đình Chiểu", "Hàm Nghi", "Đinh Tiên Hoàng",
	"Lý Thái Tổ", "Trường Chinh", "Lê Văn Sỹ", "Nguyễn Văn Linh", "Phạm Văn Đồng", "Võ Nguyên Giáp",
	"Lạc Long Quân", "An Dương Vương", "Trần Nhân Tông", "Lê Quý Đôn", "Chu Văn An", "Nguyễn Bỉnh Khiêm",
	"Hoàng Văn Thụ", "Nguyễn Thái Học", "Phan Đình Phùng", "Trần Khánh Dư", "Yết Kiêu", "Lê Lai",
	"Nguyễn Công Trứ", "Tô Hiến Thành", "Nguyễn Khuyến", "Hồ Tùng Mậu", "Xuân Thủy", "Tô Hiệu",
	"Nguyễn Tất Thành", "Độc Lập", "Thống Nhất", "Giải Phóng", "Hòa Bình", "30 Tháng 4",
}

var (
	hamletNames = []string{
		"Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Đoài", "An Lạc", "Phú Mỹ", "Đồng Tâm",
		"Tân Lập", "Yên Bình", "Hòa Bình", "Quyết Tiến", "Thắng Lợi", "Đại Đồng", "Văn Minh", "Hưng Long",
		"Phú Xuân", "Cầu Đông", "Bình Minh", "Đoàn Kết", "Tiền Phong", "Hợp Nhất", "Ngọc Lâm", "Phúc Lộc",
		"Tân Thịnh", "Vĩnh Lộc", "Trung Hòa", "Đông Thành", "Phú Thọ", "Lạc Thiện", "Xuân Lai",
	}
	apNames = []string{
		"Phú Hòa", "Tân Thành", "Mỹ Lợi", "An Thạnh", "Bình Phú", "Long Hưng", "Tân Phú", "Phước Lộc",
		"Thạnh Lợi", "Hòa Thuận", "Vĩnh Lợi", "Mỹ Hiệp", "Tân Hòa", "Bình Thạnh", "An Bình", "Long Thạnh",
		"Phú Lợi", "Kinh Xáng", "Xẻo Rô", "Rạch Gốc", "Cái Đôi", "Mỹ Phú", "Tân Long", "Bình Hòa", "Phước Thạnh",
	}
	banNames = []string{
		"Na Hát", "Co Mạ", "Huổi Một", "Nà Sản", "Pá Khoang", "Phiêng Ban", "Nậm Cắn", "Tả Phìn", "Sín Chải",
		"Lũng Cú", "Nà Lừa", "Pác Ngòi", "Bó Lếch", "Khuổi Nặm", "Nà Tấu", "Hua Pe", "Mường Khoa",
		"Phiêng Lanh", "Pu Nhi", "Nặm Ét", "Cốc Lầu", "Lao Chải", "Tà Van", "Nà Phặc",
	}
	buonNames = []string{
		"Ako Dhông", "Kô Siêr", "Ea Kmar", "Cuôr Đăng", "Ea Nao", "Tơng Jũ", "Ma Dăk", "Kmrơng Prong",
		"Dhăp", "Ea Bông", "Bu Nơr", "Đrăng Phok", "Jun", "Ea Tu",
	}
	langNames = []string{
		"Plei Ốp", "Plei Phun", "Kon Klor", "Kon Rơbang", "Đê Kjiêng", "Plei Rơ Ngheo", "Kon Jri", "Plei Kần",
		"Đăk Rơ Wa", "Tơ Vởng", "Plei Pông", "Kon Tu Rằng", "Đăk Wơk", "Tơ Nung",
	}
)

// houseNumber is a small number, smaller ones more often.
func houseNumber(r *rng, max int) int {
	a, b := r.intn(max)+1, r.intn(max)+1
	return min(a, b)
}

// appendStreet writes the address within the commune: a house in a
// street for a ward, a village for a rural commune.
func appendStreet(b []byte, r *rng, ward bool, region, village int) []byte {
	if ward {
		name := streetNames[r.intn(len(streetNames))]
		k := r.intn(100)
		switch region {
		case regionNorth:
			switch {
			case k < 35:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 120))
				b = append(b, ", ngõ "...)
				b = appendInt(b, houseNumber(r, 400))
				b = append(b, ", phố "...)
				b = append(b, name...)
			case k < 55:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 300))
				b = append(b, " phố "...)
				b = append(b, name...)
			case k < 65:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 60))
				b = append(b, ", ngách "...)
				b = appendInt(b, houseNumber(r, 90))
				b = append(b, ", ngõ "...)
				b = appendInt(b, houseNumber(r, 400))
				b = append(b, ", phố "...)
				b = append(b, name...)
			case k < 85:
				b = append(b, "Tổ dân phố "...)
				b = appendInt(b, houseNumber(r, 40))
			default:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 500))
				b = append(b, " đường "...)
				b = append(b, name...)
			}
		case regionCentral:
			switch {
			case k < 45:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 400))
				b = append(b, " đường "...)
				b = append(b, name...)
			case k < 70:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 80))
				b = append(b, ", kiệt "...)
				b = appendInt(b, houseNumber(r, 300))
				b = append(b, " "...)
				b = append(b, name...)
			default:
				b = append(b, "Tổ dân phố "...)
				b = appendInt(b, houseNumber(r, 30))
			}
		default:
			switch {
			case k < 35:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 600))
				b = append(b, " đường "...)
				b = append(b, name...)
			case k < 55:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 600))
				b = append(b, '/')
				b = appendInt(b, houseNumber(r, 60))
				b = append(b, " đường "...)
				b = append(b, name...)
			case k < 65:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 600))
				b = append(b, '/')
				b = appendInt(b, houseNumber(r, 40))
				b = append(b, '/')
				b = appendInt(b, houseNumber(r, 20))
				b = append(b, " đường "...)
				b = append(b, name...)
			case k < 80:
				b = append(b, "Số "...)
				b = appendInt(b, houseNumber(r, 80))
				b = append(b, ", hẻm "...)
				b = appendInt(b, houseNumber(r, 400))
				b = append(b, ", đường "...)
				b = append(b, name...)
			default:
				b = append(b, "Khu phố "...)
				b = appendInt(b, houseNumber(r, 20))
			}
		}
		return b
	}
	k := r.intn(100)
	switch village {
	case villageBan:
		if k < 75 {
			b = append(b, "Bản "...)
			return append(b, banNames[r.intn(len(banNames))]...)
		}
	case villageBuon:
		if k < 80 {
			b = append(b, "Buôn "...)
			return append(b, buonNames[r.intn(len(buonNames))]...)
		}
	case villageLang:
		if k < 80 {
			b = append(b, "Làng "...)
			return append(b, langNames[r.intn(len(langNames))]...)
		}
	}
	k = r.intn(100)
	switch region {
	case regionNorth:
		switch {
		case k < 50:
			b = append(b, "Thôn "...)
			b = append(b, hamletNames[r.intn(len(hamletNames))]...)
		case k < 65:
			b = append(b, "Thôn "...)
			b = appendInt(b, houseNumber(r, 15))
		case k < 90:
			b = append(b, "Xóm "...)
			b = appendInt(b, houseNumber(r, 18))
		default:
			b = append(b, "Xóm "...)
			b = append(b, hamletNames[r.intn(len(hamletNames))]...)
		}
	case regionCentral:
		if k < 65 {
			b = append(b, "Thôn "...)
			b = append(b, hamletNames[r.intn(len(hamletNames))]...)
		} else {
			b = append(b, "Thôn "...)
			b = appendInt(b, houseNumber(r, 15))
		}
	default:
		switch {
		case k < 50:
			b = append(b, "Ấp "...)
			b = append(b, apNames[r.intn(len(apNames))]...)
		case k < 85:
			b = append(b, "Ấp "...)
			b = appendInt(b, houseNumber(r, 12))
		default:
			b = append(b, "Thôn "...)
			b = append(b, hamletNames[r.intn(len(hamletNames))]...)
		}
	}
	return b
}

// appendInt writes a non-negative number in decimal.
func appendInt(b []byte, n int) []byte {
	if n < 10 {
		return append(b, byte('0'+n))
	}
	var tmp [20]byte
	i := len(tmp)
	for n > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, tmp[i:]...)
}

// appendPad writes n with width digits, zero-padded.
func appendPad(b []byte, n, width int) []byte {
	for p := pow10[width-1]; p > 0; p /= 10 {
		b = append(b, byte('0'+n/p%10))
	}
	return b
}

var pow10 = [...]int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}
