package dossier

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/vntext"
)

// The export of a dossier in the shape the national public-service portal
// (Cổng Dịch vụ công quốc gia) synchronises from one-stop systems
// (HoSoDongBoDVC). Every value is a string, as the portal takes them.
//
// Dates are written yyyyMMddHHmmss in Vietnam's time (UTC+7), e.g.
// "20260213160000" for 13 February 2026 at 16:00; a date not yet known is
// "". Flags are "1" or "0". Codes the project does not have yet are
// written from what it has: MaLinhVuc is the sector's name folded to ASCII
// with hyphens (the procedures database keeps no sector codes), MaPhiLePhi
// is the fee's number within the procedure.

// SyncDateFormat is the layout of the export's dates (yyyyMMddHHmmss).
const SyncDateFormat = "20060102150405"

// HoSoDongBoDVC is a dossier as the national portal synchronises it.
type HoSoDongBoDVC struct {
	MaHoSo                      string                  `json:"MaHoSo"`
	MaTTHC                      string                  `json:"MaTTHC"`
	TenTTHC                     string                  `json:"TenTTHC"`
	MaLinhVuc                   string                  `json:"MaLinhVuc"`
	TenLinhVuc                  string                  `json:"TenLinhVuc"`
	KenhThucHien                string                  `json:"KenhThucHien"`
	SoGiayToChuHoSo             string                  `json:"SoGiayToChuHoSo"`
	ChuHoSo                     string                  `json:"ChuHoSo"`
	LoaiDoiTuong                string                  `json:"LoaiDoiTuong"` // 1: citizen
	MaDoiTuong                  string                  `json:"MaDoiTuong"`
	ThongTinKhac                string                  `json:"ThongTinKhac"`
	Email                       string                  `json:"Email"`
	Fax                         string                  `json:"Fax"`
	SoDienThoai                 string                  `json:"SoDienThoai"`
	TrichYeuHoSo                string                  `json:"TrichYeuHoSo"`
	NgayNopHoSo                 string                  `json:"NgayNopHoSo"`
	NgayTiepNhan                string                  `json:"NgayTiepNhan"`
	NgayHenTra                  string                  `json:"NgayHenTra"`
	TrangThaiHoSo               string                  `json:"TrangThaiHoSo"`
	NgayTra                     string                  `json:"NgayTra"`
	ThongTinTra                 string                  `json:"ThongTinTra"`
	HinhThuc                    string                  `json:"HinhThuc"`
	NgayKetThucXuLy             string                  `json:"NgayKetThucXuLy"`
	NgayTuChoi                  string                  `json:"NgayTuChoi"`
	DonViXuLy                   string                  `json:"DonViXuLy"`
	NoiNopHoSo                  string                  `json:"NoiNopHoSo"`
	GhiChu                      string                  `json:"GhiChu"`
	HoSoCoThanhPhanSoHoa        string                  `json:"HoSoCoThanhPhanSoHoa"`
	TaiKhoanDuocXacThucVoiVNeID string                  `json:"TaiKhoanDuocXacThucVoiVNeID"`
	DuocThanhToanTrucTuyen      string                  `json:"DuocThanhToanTrucTuyen"`
	DinhDanhCHS                 []DinhDanhCHS           `json:"DinhDanhCHS"`
	TaiLieuNop                  []TaiLieuNopDongBoDVC   `json:"TaiLieuNop"`
	DanhSachLePhi               []LePhiDongBoDVC        `json:"DanhSachLePhi"`
	DanhSachGiayToKetQua        []GiayToKetQua          `json:"DanhSachGiayToKetQua"`
	QuaTrinhXuLy                []QuaTrinhXuLyDongBoDVC `json:"QuaTrinhXuLy"`
}

// DinhDanhCHS is an identifier of the applicant.
type DinhDanhCHS struct {
	LoaiDinhDanh string `json:"LoaiDinhDanh"` // 1: personal identification number
	SoDinhDanh   string `json:"SoDinhDanh"`
}

// TaiLieuNopDongBoDVC is a submitted document.
type TaiLieuNopDongBoDVC struct {
	TepDinhKemId      string `json:"TepDinhKemId"`
	TenTepDinhKem     string `json:"TenTepDinhKem"`
	IsDeleted         string `json:"IsDeleted"`
	MaThanhPhanHoSo   string `json:"MaThanhPhanHoSo"`
	DuongDanTaiTepTin string `json:"DuongDanTaiTepTin"`
	DuocSoHoa         string `json:"DuocSoHoa"`
	DuocTaiSuDung     string `json:"DuocTaiSuDung"`
	DuocLayTuKhoDMQG  string `json:"DuocLayTuKhoDMQG"`
	MaKetQuaThayThe   string `json:"MaKetQuaThayThe"`
}

// LePhiDongBoDVC is a fee.
type LePhiDongBoDVC struct {
	TenPhiLePhi  string `json:"TenPhiLePhi"`
	MaPhiLePhi   string `json:"MaPhiLePhi"`
	HinhThucThu  string `json:"HinhThucThu"` // 1 paid, 0 not yet
	Gia          string `json:"Gia"`
	LoaiPhiLePhi string `json:"LoaiPhiLePhi"` // 1 phí, 2 lệ phí
}

// GiayToKetQua is a result document.
type GiayToKetQua struct {
	TenGiayTo            string `json:"TenGiayTo"`
	MaThanhPhanHoSo      string `json:"MaThanhPhanHoSo"`
	GiayToId             string `json:"GiayToId"`
	DuongDanTepTinKetQua string `json:"DuongDanTepTinKetQua"`
	MaGiayToKetQua       string `json:"MaGiayToKetQua"`
}

// QuaTrinhXuLyDongBoDVC is one step of the processing history.
type QuaTrinhXuLyDongBoDVC struct {
	MaHoSo                 string `json:"MaHoSo"`
	NguoiXuLy              string `json:"NguoiXuLy"`
	ChucDanh               string `json:"ChucDanh"`
	ThoiDiemXuLy           string `json:"ThoiDiemXuLy"`
	PhongBanXuLy           string `json:"PhongBanXuLy"`
	NoiDungXuLy            string `json:"NoiDungXuLy"`
	TrangThai              string `json:"TrangThai"`
	NgayBatDau             string `json:"NgayBatDau"`
	NgayKetThucTheoQuyDinh string `json:"NgayKetThucTheoQuyDinh"`
}

func (s *Service) syncDate(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(s.cal.Location()).Format(SyncDateFormat)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// SyncExport returns a dossier in the national portal's sync shape.
func (s *Service) SyncExport(ctx context.Context, code string) (HoSoDongBoDVC, error) {
	d, err := s.Get(ctx, code)
	if err != nil {
		return HoSoDongBoDVC{}, err
	}
	h := HoSoDongBoDVC{
		MaHoSo: d.Code, MaTTHC: d.Procedure, TenTTHC: d.ProcedureName,
		MaLinhVuc: strings.ReplaceAll(vntext.Fold(d.Sector), " ", "-"), TenLinhVuc: d.Sector,
		KenhThucHien: strconv.Itoa(int(d.Channel)), SoGiayToChuHoSo: d.Applicant.ID, ChuHoSo: d.Applicant.Name,
		LoaiDoiTuong: "1", MaDoiTuong: d.Applicant.ID, Email: d.Applicant.Email, SoDienThoai: d.Applicant.Phone,
		TrichYeuHoSo: d.ProcedureName + " - " + d.Applicant.Name,
		NgayNopHoSo:  s.syncDate(&d.ReceivedAt), NgayTiepNhan: s.syncDate(&d.ReceivedAt), NgayHenTra: s.syncDate(&d.DueAt),
		TrangThaiHoSo: strconv.Itoa(int(d.Status)), NgayTra: s.syncDate(d.ReturnedAt), NgayKetThucXuLy: s.syncDate(d.FinishedAt),
		DonViXuLy: d.Agency, NoiNopHoSo: d.Agency, HinhThuc: "0",
		TaiKhoanDuocXacThucVoiVNeID: flag(d.Channel == ChannelOnline),
		DinhDanhCHS:                 []DinhDanhCHS{{LoaiDinhDanh: "1", SoDinhDanh: d.Applicant.ID}},
		TaiLieuNop:                  []TaiLieuNopDongBoDVC{},
		DanhSachLePhi:               []LePhiDongBoDVC{},
		DanhSachGiayToKetQua:        []GiayToKetQua{},
		QuaTrinhXuLy:                []QuaTrinhXuLyDongBoDVC{},
	}
	if d.Status == StatusRejected || d.Status == StatusStopped {
		h.NgayTuChoi = s.syncDate(d.FinishedAt)
	}
	if d.ReturnedAt != nil {
		h.ThongTinTra = "Đã trả kết quả"
	}
	digitised := false
	for _, doc := range d.Documents {
		digitised = digitised || doc.Digitised
		h.TaiLieuNop = append(h.TaiLieuNop, TaiLieuNopDongBoDVC{
			TepDinhKemId: strconv.FormatInt(doc.ID, 10), TenTepDinhKem: doc.Name, IsDeleted: "0", MaThanhPhanHoSo: doc.DocCode,
			DuongDanTaiTepTin: "/dossier/v1/dossiers/" + d.Code + "/documents/" + strconv.FormatInt(doc.ID, 10),
			DuocSoHoa:         flag(doc.Digitised), DuocTaiSuDung: flag(doc.Reused), DuocLayTuKhoDMQG: flag(doc.FromNatDB), MaKetQuaThayThe: refIf(doc.Reused, doc.Ref),
		})
		if doc.Source != SourceUpload {
			h.TaiLieuNop[len(h.TaiLieuNop)-1].DuongDanTaiTepTin = ""
		}
	}
	h.HoSoCoThanhPhanSoHoa = flag(digitised)
	allPaid := len(d.Fees) > 0
	for _, f := range d.Fees {
		kind := "1"
		if strings.HasPrefix(strings.ToLower(f.Name), "lệ phí") {
			kind = "2"
		}
		allPaid = allPaid && f.Paid
		h.DanhSachLePhi = append(h.DanhSachLePhi, LePhiDongBoDVC{TenPhiLePhi: f.Name, MaPhiLePhi: strconv.Itoa(f.N), HinhThucThu: flag(f.Paid),
			Gia: strconv.FormatInt(f.Amount, 10), LoaiPhiLePhi: kind})
	}
	h.DuocThanhToanTrucTuyen = flag(allPaid && d.Channel == ChannelOnline)
	for _, r := range d.Results {
		h.DanhSachGiayToKetQua = append(h.DanhSachGiayToKetQua, GiayToKetQua{TenGiayTo: r.Name, GiayToId: d.Code + "-KQ" + strconv.Itoa(r.N), MaGiayToKetQua: r.Number})
	}
	pi, _ := s.proc(ctx, d.Procedure, d.ProcedureVersion)
	start := d.ReceivedAt
	for _, e := range d.History {
		q := QuaTrinhXuLyDongBoDVC{MaHoSo: d.Code, NguoiXuLy: e.Actor, ChucDanh: roleName(e.Role), ThoiDiemXuLy: s.syncDate(&e.At),
			PhongBanXuLy: d.Agency, NoiDungXuLy: actionNames[e.Action], TrangThai: strconv.Itoa(int(e.ToStatus)), NgayBatDau: s.syncDate(&start)}
		if e.Role == "applicant" {
			q.ChucDanh = "Người nộp hồ sơ"
		}
		if e.Note != "" {
			q.NoiDungXuLy += ": " + e.Note
		}
		if pi != nil && e.ToStep != "" {
			end := s.stepDue(e.At, pi.step(e.ToStep).Budget)
			q.NgayKetThucTheoQuyDinh = s.syncDate(&end)
		}
		h.QuaTrinhXuLy = append(h.QuaTrinhXuLy, q)
		start = e.At
	}
	return h, nil
}

func refIf(ok bool, ref string) string {
	if ok {
		return ref
	}
	return ""
}
