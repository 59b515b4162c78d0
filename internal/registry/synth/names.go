package synth

// Names. Weights are relative within a list; "@s|list" mixes a second list
// in with s times the first list's total weight; ":w" alone is the empty
// string (no middle name).

// kinhSurnames are the Kinh surnames other than Hoàng/Huỳnh and Vũ/Võ,
// whose split depends on the region. Their weights are set so that, with
// the surnames of the other groups, the whole population has about the
// shares of the usual surname studies: Nguyễn 38%, Trần 11%, Lê 9.5%,
// Phạm 7%, Hoàng+Huỳnh 5%, Phan 4.5%, Vũ+Võ 3.9%, Đặng 2.1%, Bùi 2%, Đỗ
// 1.4%, Hồ 1.3%, Ngô 1.3%, Dương 1%, Lý 0.5%.
const kinhSurnames = `Nguyễn:46.3, Trần:12.9, Lê:11.3, Phạm:8.5, Phan:5.5, Đặng:2.3, Bùi:1.8, Đỗ:1.7,
	Hồ:1.25, Ngô:1.55, Dương:1.2, Lý:0.02,
	Đào:0.35, Đoàn:0.35, Trương:0.3, Trịnh:0.35, Đinh:0.3, Mai:0.25, Cao:0.2, Lương:0.15, Hà:0.15,
	Tạ:0.1, Lâm:0.12, Vương:0.08, Lưu:0.1, Tô:0.08, Châu:0.08, Thái:0.06, Phùng:0.08, Chu:0.06,
	Kiều:0.06, Nghiêm:0.04, Lại:0.05, Tăng:0.04, Từ:0.04, Giang:0.04, Thân:0.04, Đàm:0.04, Quách:0.03,
	Triệu:0.03, Hứa:0.03, La:0.03, Văn:0.03, Khúc:0.02, Mạc:0.02, Tôn:0.02, Âu:0.02, Diệp:0.02,
	Ông:0.02, Khổng:0.02, Lục:0.01`

// Hoàng and Vũ in the North, Huỳnh and Võ (the same names, as pronounced)
// in the South; both in the centre.
const (
	kinhHoang = 5.05
	kinhVu    = 4.5
)

var kinhHoangNorth = [3]float64{regionNorth: 1, regionCentral: 0.8, regionSouth: 0.2}
var kinhVuNorth = [3]float64{regionNorth: 0.95, regionCentral: 0.35, regionSouth: 0.1}

const (
	kinhMiddleMaleOld = `Văn:55, Đức:8, Hữu:6, Xuân:5, Quang:5, Minh:5, Ngọc:4, Công:4, Đình:4, Thanh:4,
		Bá:2, Trọng:2, Mạnh:2, Tiến:2, Duy:2, Thế:2, Quốc:2, Anh:1, Hồng:1, Việt:1, :3`
	kinhMiddleMaleYoung = `Văn:18, Minh:12, Đức:10, Quang:7, Thanh:5, Hoàng:6, Gia:6, Anh:5, Quốc:6,
		Tuấn:4, Hữu:4, Duy:5, Ngọc:3, Nhật:4, Bảo:5, Trung:3, Thành:4, Tiến:3, Xuân:3, Đăng:4, Hải:3,
		Mạnh:3, Trọng:2, Thế:2, Công:3, Việt:3, Khánh:2, Phúc:2, Tấn:2, :2`
	kinhMiddleFemaleOld = `Thị:70, Ngọc:5, Thu:5, Thanh:5, Kim:4, Hồng:4, Minh:3, Bích:2, Thúy:2, Xuân:2,
		Mai:2, Diệu:1, Phương:1, :1`
	kinhMiddleFemaleYoung = `Thị:22, Ngọc:10, Thu:6, Thanh:5, Phương:7, Minh:6, Bảo:6, Khánh:6, Hoài:4,
		Mai:4, Thùy:5, Diệu:3, Quỳnh:4, Hà:3, Lan:3, Tuyết:2, Mỹ:4, Kim:4, Hồng:4, Gia:4, Tú:2, Hải:3,
		Thảo:3, Ánh:2, Cẩm:2, :2`
	kinhGivenMale = `Anh:5, Tuấn:4, Hùng:4, Dũng:4, Minh:5, Nam:4, Hải:4, Long:4, Thành:4, Hoàng:3,
		Đức:3, Hiếu:3, Phong:2, Quân:3, Sơn:3, Tùng:3, Trung:3, Cường:3, Khoa:2, Huy:4, Bình:3,
		Thắng:3, Tâm:2, Kiên:2, Việt:2, Hưng:3, Lâm:2, Tú:2, Nghĩa:2, Phúc:2, Duy:2, Đạt:3, Khánh:2,
		Hòa:2, Tài:2, Tiến:2, Vinh:2, Lộc:2, Phát:2, Thịnh:2, Bảo:3, Nhật:1, Quang:2, Trí:2, Hậu:2,
		Toàn:2, Thái:1, Lợi:1, Quý:1, Định:1, Chiến:2, Thuận:1, Tín:1, Đông:1, Hiển:1, Vũ:2, Đăng:1,
		Khang:2, An:2, Kiệt:1, Hào:1, Thiện:1, Sang:1, Luân:1, Phú:1, Hiệp:1, Tuân:1, Giang:1, Linh:1,
		Hợp:1, Mạnh:2, Quyết:1, Thông:1, Ninh:1, Trường:1, Thanh:2, Hạnh:0.3, Công:1, Tân:1, Nhân:1`
	kinhGivenFemale = `Anh:4, Linh:5, Hương:4, Trang:5, Lan:4, Hoa:3, Hà:3, Mai:3, Ngọc:3, Thảo:4,
		Nhung:3, Huyền:4, Hằng:4, Thủy:3, Phương:3, Dung:3, Hạnh:3, Nga:3, Yến:3, Loan:2, Oanh:2,
		Vân:3, Hồng:2, Liên:2, Thu:2, Thúy:3, Trinh:2, Nhi:3, Vy:3, Quỳnh:3, Tâm:1, Giang:2, Uyên:2,
		Châu:2, My:2, Thư:3, Hiền:3, Tuyết:2, Nhàn:2, Duyên:2, Ly:2, Ngân:3, Chi:3, Khánh:1, An:2,
		Bích:1, Lụa:1, Tươi:1, Xuân:2, Đào:1, Cúc:1, Thoa:1, Lệ:1, Thắm:1, Sen:1, Diệp:1, Hậu:1,
		Hân:2, Nhiên:1, Tú:1, Mơ:1, Hường:1, Nguyệt:2, Ánh:2, Điệp:1, Huệ:2, Lý:1, Thơ:1, Vi:1, Trâm:1`

	// Most minorities use the same given names, with their own surnames and
	// Văn/Thị far more often.
	minorityMiddleMale   = `Văn:75, Đức:3, Minh:3, Thanh:3, Quang:2, Xuân:2, Hữu:2, Ngọc:2, Anh:2, :6`
	minorityMiddleFemale = `Thị:85, Ngọc:2, Thu:2, Thanh:2, Hồng:2, Kim:2, :5`

	tayNungSurnames = `Hoàng:18, Nông:12, Nguyễn:10, Lương:6, Lý:6, Hà:5, Lục:4, Bế:4, Ma:3, Đàm:3,
		Triệu:3, La:2, Vi:3, Lưu:2, Mông:1, Hứa:2, Lã:1, Chu:2, Đinh:2, Trần:3, Lê:2, Sầm:1, Hầu:1`
	thaiSurnames = `Lò:15, Lường:10, Quàng:8, Cầm:8, Vi:8, Lù:5, Hà:10, Điêu:3, Tòng:4, Lê:3,
		Lương:6, Ngân:3, Lang:3, Lữ:2, Sa:2, Vì:3, Bạc:2, Mè:1`
	thaiGivenMale   = `Pọm:2, Ọn:1, Xiêng:2, Bun:2, Khăm:2, Ban:2, Phóng:1, Nọi:1, Pánh:1, Ún:1, Ín:1, Chăn:1`
	thaiGivenFemale = `Ơn:2, Pánh:1, Ín:1, Bun:1, Lả:1, Nọi:1, Hoan:1, Thoong:1, Ẻ:1, Xiêng:1, Ón:1`
	muongSurnames   = `Bùi:35, Đinh:20, Quách:8, Hà:10, Xa:3, Nguyễn:8, Trương:3, Phạm:5, Hoàng:3, Cao:2, Lê:3`
	hmongSurnames   = `Giàng:16, Sùng:12, Vàng:14, Thào:12, Mùa:8, Lầu:6, Ly:6, Hầu:5, Lý:5, Vừ:5,
		Hạng:4, Chá:2, Tráng:3, Cứ:2, Lồ:2, Mua:1`
	hmongMiddleMale   = `A:60, Seo:20, Văn:15, Mí:5`
	hmongMiddleFemale = `Thị:70, Mí:25, :5`
	hmongGivenMale    = `Páo:3, Sính:2, Chứ:2, Dế:2, Súa:2, Tủa:2, Chả:2, Lử:1, Dình:2, Pó:1, Vư:1,
		Pềnh:1, Sử:2, Cở:1, Khua:1, Pháy:1, Sáng:2, Chính:1, Lềnh:1, Thề:1, Tú:1, Nhà:1, Chò:1, Dũng:1`
	hmongGivenFemale = `Mỷ:3, Sua:2, Dợ:2, Chà:2, Pà:2, Dở:1, Pằng:1, Xí:1, Mẩy:2, Dia:1, Lan:1, Say:1,
		Dính:1, Máy:1, Cha:1, Phừ:1, Chi:1, Vá:1, Mai:1`
	daoSurnames       = `Triệu:25, Bàn:20, Lý:15, Đặng:12, Phùng:6, Chảo:5, Tẩn:4, Lò:3, Chìu:3, Hoàng:4, Trương:2`
	daoGivenMale      = `Tòn:2, Phin:1, Quẩy:2, Chòi:1, Kiềm:1, Sểnh:1, Dìn:1, Phấy:1, Lưu:1, Vảng:1, Chàn:1, Quyên:1`
	daoGivenFemale    = `Mẩy:2, Chài:1, Phây:1, Nái:1, Ván:1, Sinh:1, Lìn:1, Mùi:1, Xiêm:1, Mai:1`
	khmerSurnames     = `Thạch:25, Sơn:18, Danh:15, Kim:10, Lâm:8, Lý:5, Châu:4, Trần:4, Huỳnh:3, Nguyễn:3, Dương:2, Trà:1.5`
	khmerMiddleMale   = `Văn:45, :50, Minh:3, Thanh:2`
	khmerMiddleFemale = `Thị:70, :28, Ngọc:2`
	khmerGivenMale    = `Sóc:3, Sang:2, Chanh:2, Phol:1, Khen:1, Chăn:1, Đa Ra:1, Rinh:1, Sô Phal:1, Pho:1,
		Sươl:1, Sa Rết:1, Thươl:1, Mách:1, Hên:1, Sóc Khá:1, Ni:1, Rươne:1, Sa Vuth:1, Kha:1`
	khmerGivenFemale = `Sa Vy:2, Sô Phia:2, Thy:1, Sa Rin:1, Chăn Thu:1, Sà Rương:1, Mây:1, Nết:1, Phêl:1,
		Sa Quynh:1, Sóc Thia:1, Srây:1, Ry:1, Pho Ny:1, Sa Ra:1, Chanh Thy:1, Sa Phone:1`
	hoaSurnames = `Lâm:12, Trương:10, Lý:10, Quách:5, Lưu:6, Hứa:5, Mã:4, Tăng:4, Diệp:3, Huỳnh:6, Trần:8,
		Hà:3, Lư:2, Thái:3, La:3, Vương:4, Châu:4, Dương:3, Tạ:2, Tô:3, Ông:2, Giang:2`
	hoaMiddleMale   = `Văn:6, Minh:12, Quốc:8, Gia:10, Thành:6, Vĩnh:6, Tuấn:6, Kiến:5, Khải:4, Chí:6, Quang:6, Hữu:5, Đức:6, :14`
	hoaMiddleFemale = `Thị:15, Ngọc:12, Mỹ:10, Bảo:8, Tú:6, Kim:8, Tuyết:6, Mỹ Linh:1, Gia:6, Huệ:4, Lệ:6, :18`

	// The highland peoples: Gia-rai, Ê-đê and their neighbours in the
	// south; Ba-na, Xơ-đăng, Hrê, Cơ-tu, Bru and their neighbours in the
	// north. Women's given names take H'.
	highSouthSurnames = `Ksor:10, Rơ Châm:7, Siu:9, Rơ Mah:7, Nay:6, Kpă:6, Rahlan:3, Puih:4, Niê:10,
		Mlô:5, Êban:4, Ayŭn:3, Byă:3, Hđơk:3, Ksơr:3, Adrơng:2, Knul:2, Liêng:3, Cil:3, Kơ Să:2,
		Bon Jốc:1, Păng Ting:1, Kră Jăn:1, Ndu:1, Touneh:2, Điểu:8, Thị:1, Đàng:1, Pi Năng:1, Katơr:1`
	highNorthSurnames = `Đinh:30, Hồ:20, Phạm:8, Nguyễn:5, Lê:3, Trần:3, A Lăng:3, Bh'riu:2, Zơ Râm:2,
		Clâu:2, Kray:2, Căn:2, Rơ Ông:1, Y:1`
	highMiddleMale   = `:60, Văn:20, Y:20`
	highMiddleFemale = `:60, Thị:40`
	highGivenMale    = `Bhin:2, Ju:2, Duan:2, Blơng:1, Thăm:2, Hyơ:1, Blin:1, Jon:1, Yơn:2, Brăh:1, Nhang:1,
		Dõ:1, Jek:1, Moan:2, Ngông:1, Kim:1, Điêng:1, Hiếu:1, Thương:1, Dưi:1, Bốp:1, Khoa:1, Ga:1, Ưng:1`
	highGivenFemale = `H'Nga:2, H'Lan:2, H'Hen:1, H'Yim:1, H'Blông:1, H'Xíu:1, H'Nhi:1, H'Bia:1, H'Mai:1,
		H'Ly:1, H'Loan:1, Yă:1, Hyin:1, Kim:1, Tuyết:1, Hoa:1, H'Dơn:1, H'Vân:1, H'Ngơn:1, Blui:1`
	chamSurnames      = `Đàng:15, Thông:6, Quảng:6, Châu:5, Lộ:5, Thành:4, Thiên:3, Trượng:3, Bá:4, Tài:3, Hán:3, Phú:3, Kiều:2, Sa:2, Mã:2`
	chamMiddleMale    = `Văn:40, :20, Bá:10, Năng:10, Đình:10, Minh:10`
	chamMiddleFemale  = `Thị:80, :20`
	minorityGivenMix  = 0.6
	highlandGivenMix  = 0.35
	thaiDaoGivenShare = 0.35
)

// nameStyle is how one group names people.
type nameStyle struct {
	surname [3]*wlist // by region; the same list thrice except for the Kinh
	middleM [2]*wlist // [born before 1985, born 1985 or later]
	middleF [2]*wlist
	givenM  *wlist
	givenF  *wlist
}

// Village words for rural addresses.
const (
	villageRegional = iota // thôn/xóm in the North and centre, ấp in the South
	villageBan             // bản, in the northern mountains
	villageBuon            // buôn (Ê-đê, Mnông)
	villageLang            // làng or plơi (Gia-rai, Ba-na, ...)
)

// ethInfo is what the generator needs to know of an ethnic group.
type ethInfo struct {
	style    *nameStyle
	religion *wlist // nil: the religion profile of the province of birth
	village  int
}

func same3(w *wlist) [3]*wlist { return [3]*wlist{w, w, w} }

func buildEthnicStyles() map[string]*ethInfo {
	kinh := &nameStyle{
		middleM: [2]*wlist{newWlist(kinhMiddleMaleOld), newWlist(kinhMiddleMaleYoung)},
		middleF: [2]*wlist{newWlist(kinhMiddleFemaleOld), newWlist(kinhMiddleFemaleYoung)},
		givenM:  newWlist(kinhGivenMale),
		givenF:  newWlist(kinhGivenFemale),
	}
	for region := range kinh.surname {
		h, v := kinhHoangNorth[region], kinhVuNorth[region]
		extra := "Hoàng:" + ftoa(kinhHoang*h) + ", Huỳnh:" + ftoa(kinhHoang*(1-h)) +
			", Vũ:" + ftoa(kinhVu*v) + ", Võ:" + ftoa(kinhVu*(1-v))
		kinh.surname[region] = newWlist(kinhSurnames + ", " + extra)
	}
	minorityMiddle := func() ([2]*wlist, [2]*wlist) {
		m, f := newWlist(minorityMiddleMale), newWlist(minorityMiddleFemale)
		return [2]*wlist{m, m}, [2]*wlist{f, f}
	}
	tayMM, tayMF := minorityMiddle()
	tay := &nameStyle{surname: same3(newWlist(tayNungSurnames)), middleM: tayMM, middleF: tayMF,
		givenM: kinh.givenM, givenF: kinh.givenF}
	thaiMM, thaiMF := minorityMiddle()
	thai := &nameStyle{surname: same3(newWlist(thaiSurnames)), middleM: thaiMM, middleF: thaiMF,
		givenM: newWlist(kinhGivenMale, mixShare(thaiDaoGivenShare, thaiGivenMale)),
		givenF: newWlist(kinhGivenFemale, mixShare(thaiDaoGivenShare, thaiGivenFemale))}
	muongMM, muongMF := minorityMiddle()
	muong := &nameStyle{surname: same3(newWlist(muongSurnames)), middleM: muongMM, middleF: muongMF,
		givenM: kinh.givenM, givenF: kinh.givenF}
	hm, hf := newWlist(hmongMiddleMale), newWlist(hmongMiddleFemale)
	hmong := &nameStyle{surname: same3(newWlist(hmongSurnames)), middleM: [2]*wlist{hm, hm}, middleF: [2]*wlist{hf, hf},
		givenM: newWlist(hmongGivenMale), givenF: newWlist(hmongGivenFemale)}
	daoMM, daoMF := minorityMiddle()
	dao := &nameStyle{surname: same3(newWlist(daoSurnames)), middleM: daoMM, middleF: daoMF,
		givenM: newWlist(kinhGivenMale, mixShare(minorityGivenMix, daoGivenMale)),
		givenF: newWlist(kinhGivenFemale, mixShare(minorityGivenMix, daoGivenFemale))}
	km, kf := newWlist(khmerMiddleMale), newWlist(khmerMiddleFemale)
	khmer := &nameStyle{surname: same3(newWlist(khmerSurnames)), middleM: [2]*wlist{km, km}, middleF: [2]*wlist{kf, kf},
		givenM: newWlist(kinhGivenMale, mixShare(1.5, khmerGivenMale)),
		givenF: newWlist(kinhGivenFemale, mixShare(1.5, khmerGivenFemale))}
	hoaM, hoaF := newWlist(hoaMiddleMale), newWlist(hoaMiddleFemale)
	hoa := &nameStyle{surname: same3(newWlist(hoaSurnames)), middleM: [2]*wlist{hoaM, hoaM}, middleF: [2]*wlist{hoaF, hoaF},
		givenM: kinh.givenM, givenF: kinh.givenF}
	him, hif := newWlist(highMiddleMale), newWlist(highMiddleFemale)
	highGM := newWlist(highGivenMale, mixShare(highlandGivenMix, kinhGivenMale))
	highGF := newWlist(highGivenFemale, mixShare(highlandGivenMix, kinhGivenFemale))
	highSouth := &nameStyle{surname: same3(newWlist(highSouthSurnames)), middleM: [2]*wlist{him, him}, middleF: [2]*wlist{hif, hif},
		givenM: highGM, givenF: highGF}
	highNorth := &nameStyle{surname: same3(newWlist(highNorthSurnames)), middleM: [2]*wlist{him, him}, middleF: [2]*wlist{hif, hif},
		givenM: highGM, givenF: highGF}
	cm, cf := newWlist(chamMiddleMale), newWlist(chamMiddleFemale)
	cham := &nameStyle{surname: same3(newWlist(chamSurnames)), middleM: [2]*wlist{cm, cm}, middleF: [2]*wlist{cf, cf},
		givenM: kinh.givenM, givenF: kinh.givenF}

	noneMostly := withRest("00", "01:1, 03:1")
	hmongRel := withRest("00", "03:30, 02:3")
	highSouthRel := withRest("00", "03:35, 02:15, 01:1")
	highNorthRel := withRest("00", "02:35, 03:8, 01:1")
	info := map[string]*ethInfo{
		"01": {style: kinh},
		"02": {style: tay, religion: noneMostly, village: villageBan},
		"03": {style: thai, religion: noneMostly, village: villageBan},
		"04": {style: hoa, religion: withRest("00", "01:38, 02:4, 03:1")},
		"05": {style: khmer, religion: withRest("00", "01:92, 02:1")},
		"06": {style: muong, religion: noneMostly},
		"07": {style: tay, religion: noneMostly, village: villageBan},
		"08": {style: hmong, religion: hmongRel, village: villageBan},
		"09": {style: dao, religion: noneMostly, village: villageBan},
		"10": {style: highSouth, religion: highSouthRel, village: villageLang},
		"11": {style: hoa},
		"12": {style: highSouth, religion: highSouthRel, village: villageBuon},
		"13": {style: highNorth, religion: highNorthRel, village: villageLang},
		"14": {style: highNorth, religion: highNorthRel, village: villageLang},
		"15": {style: tay, religion: noneMostly},
		"16": {style: highSouth, religion: highSouthRel, village: villageBuon},
		"17": {style: cham, religion: withRest("00", "06:40, 16:35, 01:2")},
		"18": {style: tay, religion: noneMostly},
		"19": {style: highNorth, religion: withRest("00", "03:5, 02:3"), village: villageLang},
		"20": {style: highSouth, religion: highSouthRel, village: villageBuon},
		"21": {style: highSouth, religion: withRest("00", "03:10, 02:5"), village: villageLang},
		"22": {style: highSouth, religion: highSouthRel, village: villageBuon},
		"23": {style: highNorth, religion: withRest("00", "03:5, 02:2"), village: villageLang},
		"24": {style: muong, religion: noneMostly},
		"25": {style: tay, religion: noneMostly, village: villageBan},
		"26": {style: highNorth, religion: withRest("00", "03:3, 02:2"), village: villageLang},
		"27": {style: highNorth, religion: highNorthRel, village: villageLang},
		"28": {style: highSouth, religion: highSouthRel, village: villageBuon},
		"29": {style: thai, religion: noneMostly, village: villageBan},
		"30": {style: highNorth, religion: withRest("00", "03:3, 02:2"), village: villageLang},
		"31": {style: highNorth, religion: withRest("00", "03:5, 02:3"), village: villageLang},
		"32": {style: highSouth, religion: withRest("00", "02:20, 03:5")},
		"35": {style: hmong, religion: noneMostly, village: villageBan},
		"36": {style: highSouth, religion: highSouthRel, village: villageBuon},
		"37": {style: thai, religion: withRest("00", "01:20"), village: villageBan},
		"38": {style: hmong, religion: noneMostly, village: villageBan},
		"39": {style: thai, religion: noneMostly, village: villageBan},
		"40": {style: hmong, religion: noneMostly, village: villageBan},
		"41": {style: hmong, religion: noneMostly, village: villageBan},
		"42": {style: thai, religion: withRest("00", "01:20"), village: villageBan},
		"43": {style: hmong, religion: noneMostly, village: villageBan},
		"44": {style: muong, religion: noneMostly, village: villageBan},
		"48": {style: thai, religion: noneMostly, village: villageBan},
		"50": {style: hmong, religion: noneMostly, village: villageBan},
		"33": {style: thai, religion: noneMostly, village: villageBan},
		"34": {style: thai, religion: noneMostly, village: villageBan},
		"52": {style: highNorth, religion: highNorthRel, village: villageLang},
		"54": {style: highNorth, religion: highNorthRel, village: villageLang},
	}
	return info
}

// mixShare prefixes a list with the share it gets when mixed into another.
func mixShare(share float64, spec string) string { return "@" + ftoa(share) + "|" + spec }
