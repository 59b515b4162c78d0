package result

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-pdf/fpdf"
	"rsc.io/qr"
)

// The Noto Sans faces draw Vietnamese with every diacritic; fpdf embeds
// the subset a document uses. Licence: fonts/OFL.txt.
var (
	//go:embed fonts/NotoSans-Regular.ttf
	fontRegular []byte
	//go:embed fonts/NotoSans-Bold.ttf
	fontBold []byte
)

// vnZone is Vietnam's time (no daylight saving).
var vnZone = time.FixedZone("ICT", 7*3600)

// layout is what a rendered document shows.
type layout struct {
	URI, VerifyURL                 string
	Agency, AgencyName             string
	Title, DocType                 string
	HolderID, HolderName           string
	DossierCode, Procedure         string
	IssuedBy                       string
	IssuedAt                       time.Time
	Fields                         []Field
	Demo                           bool
	SignerSubject, SignerSerialHex string
}

// render draws the document as a PDF: the national motto, the issuing
// agency, the title, the fields, the date, the signer and a QR code that
// leads to the public verification page. These bytes are what the agency
// signs.
func render(l layout) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.AddUTF8FontFromBytes("Noto", "", fontRegular)
	pdf.AddUTF8FontFromBytes("Noto", "B", fontBold)
	pdf.SetTitle(l.Title, true)
	pdf.SetAuthor(l.AgencyName, true)
	pdf.SetSubject(l.URI, true)
	pdf.SetKeywords("vngov-result "+l.URI, true)
	pdf.SetCreator("vngov", true)
	pdf.SetProducer("vngov", true)
	pdf.SetLang("vi-VN")
	pdf.SetCreationDate(l.IssuedAt)
	pdf.SetModificationDate(l.IssuedAt)
	pdf.SetMargins(20, 15, 20)
	pdf.SetAutoPageBreak(true, 18)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-13)
		pdf.SetFont("Noto", "", 7.5)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 4, "Mã giấy tờ: "+l.URI+"   ·   Trang "+strconv.Itoa(pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	// Header: the agency on the left, the national motto on the right.
	top := pdf.GetY()
	pdf.SetFont("Noto", "B", 10.5)
	pdf.SetXY(15, top)
	pdf.MultiCell(78, 5, strings.ToUpper(l.AgencyName), "", "C", false)
	leftEnd := pdf.GetY()
	pdf.Line(40, leftEnd+1, 68, leftEnd+1)
	pdf.SetXY(95, top)
	pdf.MultiCell(100, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", "C", false)
	pdf.SetX(95)
	pdf.MultiCell(100, 5, "Độc lập - Tự do - Hạnh phúc", "", "C", false)
	rightEnd := pdf.GetY()
	pdf.Line(122, rightEnd+1, 168, rightEnd+1)
	y := max(leftEnd, rightEnd) + 4
	pdf.SetFont("Noto", "", 9.5)
	pdf.SetXY(15, y)
	pdf.CellFormat(78, 5, "Mã cơ quan: "+l.Agency, "", 0, "C", false, 0, "")
	t := l.IssuedAt.In(vnZone)
	pdf.SetXY(95, y)
	pdf.CellFormat(100, 5, fmt.Sprintf("Ngày %02d tháng %02d năm %d", t.Day(), int(t.Month()), t.Year()), "", 0, "C", false, 0, "")
	pdf.SetY(y + 10)

	if l.Demo {
		pdf.SetFont("Noto", "B", 10)
		pdf.SetTextColor(178, 34, 34)
		pdf.MultiCell(0, 5, "BẢN TRÌNH DIỄN – dữ liệu mẫu, không có giá trị pháp lý", "", "C", false)
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(2)
	}

	pdf.SetFont("Noto", "B", 15)
	pdf.MultiCell(0, 8, strings.ToUpper(l.Title), "", "C", false)
	pdf.SetFont("Noto", "", 9.5)
	pdf.MultiCell(0, 5, "(Bản điện tử có chữ ký số)", "", "C", false)
	pdf.Ln(5)

	row := func(label, value string) {
		pdf.SetFont("Noto", "", 11)
		x := pdf.GetX()
		yy := pdf.GetY()
		pdf.MultiCell(62, 6, label+":", "", "L", false)
		yl := pdf.GetY()
		pdf.SetXY(x+62, yy)
		pdf.SetFont("Noto", "B", 11)
		pdf.MultiCell(0, 6, value, "", "L", false)
		if pdf.GetY() < yl {
			pdf.SetY(yl)
		}
		pdf.SetX(x)
	}
	for _, f := range l.Fields {
		row(f.Label, f.Value)
	}
	pdf.Ln(3)
	pdf.SetDrawColor(160, 160, 160)
	pdf.Line(20, pdf.GetY(), 190, pdf.GetY())
	pdf.SetDrawColor(0, 0, 0)
	pdf.Ln(3)
	row("Người được cấp", l.HolderName)
	row("Số định danh cá nhân", l.HolderID)
	row("Mã hồ sơ", l.DossierCode)
	if l.Procedure != "" {
		row("Thủ tục hành chính", l.Procedure)
	}

	// Signature block on the right.
	pdf.Ln(6)
	if pdf.GetY() > 297-18-40 {
		pdf.AddPage()
	}
	sy := pdf.GetY()
	pdf.SetXY(105, sy)
	pdf.SetFont("Noto", "B", 10.5)
	pdf.MultiCell(90, 5, strings.ToUpper(l.IssuedBy), "", "C", false)
	pdf.SetX(105)
	pdf.SetFont("Noto", "", 9)
	pdf.MultiCell(90, 4.5, "Đã ký số bởi "+l.SignerSubject, "", "C", false)
	pdf.SetX(105)
	pdf.MultiCell(90, 4.5, "Số sê-ri chứng thư: "+l.SignerSerialHex, "", "C", false)
	pdf.SetX(105)
	pdf.MultiCell(90, 4.5, "Thời điểm ký: "+t.Format("15:04:05 02/01/2006")+" (giờ Việt Nam)", "", "C", false)

	// The QR code and how to check the document.
	pdf.Ln(6)
	if pdf.GetY() > 297-18-38 {
		pdf.AddPage()
	}
	qy := pdf.GetY()
	if err := drawQR(pdf, l.VerifyURL, 20, qy, 32); err != nil {
		return nil, err
	}
	pdf.SetXY(56, qy+1)
	pdf.SetFont("Noto", "B", 9.5)
	pdf.MultiCell(134, 5, "Kiểm tra tính xác thực của giấy tờ này", "", "L", false)
	pdf.SetFont("Noto", "", 9)
	for _, line := range []string{
		"Quét mã QR, hoặc mở địa chỉ: " + l.VerifyURL,
		"Mã giấy tờ: " + l.URI,
		"Trang kiểm tra cho biết giấy tờ có do cơ quan cấp, có bị sửa đổi hay đã bị thu hồi không. Có thể tải tệp PDF này lên trang đó để kiểm tra đúng tệp đang cầm.",
	} {
		pdf.SetX(56)
		pdf.MultiCell(134, 4.5, line, "", "L", false)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("result: render pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// drawQR draws text's QR code as filled squares, size mm wide, at (x, y).
func drawQR(pdf *fpdf.Fpdf, text string, x, y, size float64) error {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return fmt.Errorf("result: qr code: %w", err)
	}
	quiet := 2 // modules of white border inside the box
	m := size / float64(code.Size+2*quiet)
	pdf.SetFillColor(0, 0, 0)
	for row := 0; row < code.Size; row++ {
		for col := 0; col < code.Size; {
			if !code.Black(col, row) {
				col++
				continue
			}
			start := col
			for col < code.Size && code.Black(col, row) {
				col++
			}
			pdf.Rect(x+float64(start+quiet)*m, y+float64(row+quiet)*m, float64(col-start)*m, m, "F")
		}
	}
	return nil
}

// ---- the proof carried after the signed revision ----
//
// A document is signed as rendered: the signature is ECDSA P-256 over
// SHA-256 of exactly those bytes (the signed revision). The signature, the
// signer's certificate and the URI are then added to the file in a PDF
// incremental update: a new document information dictionary, a cross
// reference section and a trailer that points back (/Prev) at the signed
// revision's. A PDF reader shows the document as before (the update adds
// only metadata); anyone can cut the file at /VNGovSignedLength and check
// the signature over the part before it with the certificate, and the
// certificate against the platform's CA (GET /result/v1/ca.pem).

// Names of the information dictionary entries that carry the proof.
const (
	keyURI       = "/VNGovURI"
	keyLength    = "/VNGovSignedLength"
	keySignature = "/VNGovSignature"
	keyCert      = "/VNGovCertificate"
	keySignedAt  = "/VNGovSignedAt"
)

// proof is what an issued file carries about its own signature.
type proof struct {
	URI          string
	SignedLength int
	Signature    []byte
	Certificate  []byte // DER
	SignedAt     time.Time
}

var (
	trailerSize = regexp.MustCompile(`/Size\s+(\d+)`)
	trailerRoot = regexp.MustCompile(`/Root\s+(\d+)\s+(\d+)\s+R`)
	startXref   = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
)

// pdfString encodes s as a PDF text string: UTF-16BE with its byte order
// mark, in hexadecimal.
func pdfString(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// pdfDate formats t as a PDF date.
func pdfDate(t time.Time) string {
	t = t.In(vnZone)
	return "(D:" + t.Format("20060102150405") + "+07'00')"
}

// appendProof returns signed followed by an incremental update carrying p
// and the document's information (title, author, subject).
func appendProof(signed []byte, p proof, l layout) ([]byte, error) {
	tail := signed[max(0, len(signed)-2048):]
	ti := bytes.LastIndex(tail, []byte("trailer"))
	if ti < 0 {
		return nil, fmt.Errorf("result: pdf has no trailer")
	}
	trailer := tail[ti:]
	sm, rm, xm := trailerSize.FindSubmatch(trailer), trailerRoot.FindSubmatch(trailer), startXref.FindSubmatch(trailer)
	if sm == nil || rm == nil || xm == nil {
		return nil, fmt.Errorf("result: pdf trailer not understood")
	}
	size, _ := strconv.Atoi(string(sm[1]))
	var b bytes.Buffer
	b.Write(signed)
	if signed[len(signed)-1] != '\n' {
		b.WriteByte('\n')
	}
	obj := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<<\n", size)
	fmt.Fprintf(&b, "/Title %s\n/Author %s\n/Subject %s\n/Keywords %s\n/Creator (vngov)\n/Producer (vngov)\n",
		pdfString(l.Title), pdfString(l.AgencyName), pdfString(l.URI), pdfString("vngov-result "+l.URI))
	fmt.Fprintf(&b, "/CreationDate %s\n/ModDate %s\n", pdfDate(l.IssuedAt), pdfDate(p.SignedAt))
	fmt.Fprintf(&b, "%s %s\n%s %d\n%s <%s>\n%s <%s>\n%s %s\n", keyURI, pdfString(p.URI), keyLength, p.SignedLength,
		keySignature, hex.EncodeToString(p.Signature), keyCert, hex.EncodeToString(p.Certificate), keySignedAt, pdfDate(p.SignedAt))
	b.WriteString(">>\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n%d 1\n%010d 00000 n \n", size, obj)
	fmt.Fprintf(&b, "trailer\n<<\n/Size %d\n/Root %s %s R\n/Info %d 0 R\n/Prev %s\n>>\nstartxref\n%d\n%%%%EOF\n",
		size+1, rm[1], rm[2], size, xm[1], xref)
	return b.Bytes(), nil
}

var (
	proofURI       = regexp.MustCompile(`/VNGovURI\s*<([0-9A-Fa-f\s]*)>`)
	proofLength    = regexp.MustCompile(`/VNGovSignedLength\s+(\d{1,12})`)
	proofSignature = regexp.MustCompile(`/VNGovSignature\s*<([0-9A-Fa-f]*)>`)
	proofCert      = regexp.MustCompile(`/VNGovCertificate\s*<([0-9A-Fa-f]*)>`)
)

// extractProof finds the proof the last incremental update of file
// carries; ok is false when the file has none (it was not issued here, or
// the proof is damaged).
func extractProof(file []byte) (p proof, ok bool) {
	i := bytes.LastIndex(file, []byte(keyURI))
	if i < 0 {
		return p, false
	}
	start := bytes.LastIndex(file[:i], []byte(" obj"))
	end := bytes.Index(file[i:], []byte("endobj"))
	if start < 0 || end < 0 {
		return p, false
	}
	dict := file[start : i+end]
	um, lm, sm, cm := proofURI.FindSubmatch(dict), proofLength.FindSubmatch(dict), proofSignature.FindSubmatch(dict), proofCert.FindSubmatch(dict)
	if um == nil || lm == nil || sm == nil || cm == nil {
		return p, false
	}
	uri, ok := decodePDFHexString(um[1])
	if !ok {
		return p, false
	}
	n, err := strconv.Atoi(string(lm[1]))
	if err != nil || n <= 0 || n > start {
		return p, false
	}
	sig, err1 := hex.DecodeString(string(sm[1]))
	cert, err2 := hex.DecodeString(string(cm[1]))
	if err1 != nil || err2 != nil {
		return p, false
	}
	return proof{URI: uri, SignedLength: n, Signature: sig, Certificate: cert}, true
}

// decodePDFHexString decodes a hexadecimal text string written by
// pdfString.
func decodePDFHexString(h []byte) (string, bool) {
	raw, err := hex.DecodeString(strings.Join(strings.Fields(string(h)), ""))
	if err != nil || len(raw) < 2 || len(raw)%2 != 0 || raw[0] != 0xFE || raw[1] != 0xFF {
		return "", false
	}
	u := make([]uint16, 0, len(raw)/2-1)
	for i := 2; i < len(raw); i += 2 {
		u = append(u, uint16(raw[i])<<8|uint16(raw[i+1]))
	}
	return string(utf16.Decode(u)), true
}
