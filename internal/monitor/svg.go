package monitor

import (
	"fmt"
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
)

// Charts drawn on the server as SVG: they need no script, scale to any
// width, and carry a title and a description for screen readers; each
// page also shows the same figures as a table.

// fmtNum writes x with up to places decimals, in the language's style:
// 77,12 in Vietnamese, 77.12 in English.
func fmtNum(lang string, x float64, places int) string {
	s := strconv.FormatFloat(round(x, places), 'f', -1, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// fmtTotal writes an index total, or a dash without data.
func fmtTotal(lang string, t *float64) string {
	if t == nil {
		return "—"
	}
	return fmtNum(lang, *t, 2)
}

func esc(s string) string { return html.EscapeString(s) }

// bandFill is the fill colour of each band: light enough for dark text
// (contrast above 4.5:1 with #0b0c0c).
var bandFill = map[string]string{
	"a":    "#5fb37f",
	"b":    "#a6d9a0",
	"c":    "#ffe680",
	"d":    "#f8b878",
	"e":    "#f19c8f",
	"none": "#e8e9ea",
}

// barFill is the colour of a bar of a chart.
const barFill = "#1a4f8b"

// chartBars draws a column chart of values (0..100) labelled under each
// column; a nil value is a gap.
func chartBars(id, title, desc string, labels []string, values []*float64, tips []string) template.HTML {
	const w, h, left, top, bottom = 640, 240, 36, 12, 36
	n := max(len(values), 1)
	slot := float64(w-left-8) / float64(n)
	bw := slot * 0.6
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	plot := float64(h - top - bottom)
	for _, g := range []int{0, 50, 100} {
		y := float64(top) + plot*(1-float64(g)/100)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#b1b4b6" stroke-width="1"/>`, left, w-4, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="12" text-anchor="end" fill="#0b0c0c">%d</text>`, left-6, y+4, g)
	}
	for i, v := range values {
		x := float64(left) + slot*float64(i) + (slot-bw)/2
		if v != nil {
			bh := plot * min(max(*v, 0), 100) / 100
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x, float64(top)+plot-bh, bw, bh, barFill, esc(tips[i]))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12" text-anchor="middle" fill="#0b0c0c">%s</text>`, x+bw/2, h-bottom+18, esc(labels[i]))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// hbar is one row of a horizontal bar chart.
type hbar struct {
	Label string
	Value *float64 // 0..100
	Text  string   // the value as written
}

// chartHBars draws horizontal bars (0..100), one row each, the label
// above its bar so that long names fit a phone's width.
func chartHBars(id, title, desc string, rows []hbar) template.HTML {
	const w, rowH, left = 640, 44, 4
	h := max(len(rows), 1)*rowH + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	for i, r := range rows {
		y := i*rowH + 4
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#0b0c0c">%s</text>`, left, y+14, esc(r.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="16" fill="#e8e9ea"/>`, left, y+20, w-left-80)
		if r.Value != nil {
			bw := float64(w-left-80) * min(max(*r.Value, 0), 100) / 100
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="16" fill="%s"><title>%s: %s</title></rect>`, left, y+20, bw, barFill, esc(r.Label), esc(r.Text))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" font-weight="700" fill="#0b0c0c">%s</text>`, w-70, y+33, esc(r.Text))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// tilePos places the 34 provinces (by administrative unit code) on a grid
// shaped like the country: column, row.
var tilePos = map[string][2]int{
	"11": {0, 0}, "12": {1, 0}, "15": {2, 0}, "08": {3, 0}, "04": {4, 0},
	"14": {1, 1}, "25": {2, 1}, "19": {3, 1}, "20": {4, 1},
	"01": {2, 2}, "24": {3, 2}, "22": {4, 2},
	"37": {2, 3}, "33": {3, 3}, "31": {4, 3},
	"38": {2, 4},
	"40": {2, 5},
	"42": {3, 6},
	"44": {3, 7},
	"46": {3, 8},
	"48": {4, 9},
	"51": {4, 10},
	"52": {4, 11},
	"66": {4, 12},
	"68": {3, 13}, "56": {4, 13},
	"80": {1, 14}, "79": {2, 14}, "75": {3, 14},
	"91": {0, 15}, "82": {1, 15}, "86": {2, 15},
	"96": {0, 16}, "92": {1, 16},
}

// Tile is one province on the tile grid.
type Tile struct {
	Province Province
	Total    *float64
	Band     string
	Href     string
	Text     string // the total as written
}

// tileShort shortens the longest names so that they fit a tile.
var tileShort = map[string]string{"Hồ Chí Minh": "TP. HCM", "Thái Nguyên": "T. Nguyên", "Tuyên Quang": "T. Quang", "Quảng Ninh": "Q. Ninh",
	"Quảng Ngãi": "Q. Ngãi", "Quảng Trị": "Q. Trị", "Điện Biên": "Đ. Biên", "Đồng Tháp": "Đ. Tháp", "Vĩnh Long": "V. Long", "Lâm Đồng": "L. Đồng",
	"Khánh Hòa": "K. Hòa", "Thanh Hóa": "T. Hóa", "Hải Phòng": "H. Phòng"}

// tileGrid draws the provinces as tiles coloured by their band, each a
// link to the province's figures.
func tileGrid(id, title, desc string, tiles []Tile) template.HTML {
	const tw, th, gap = 70, 46, 4
	const cols, rows = 5, 17
	w, h := cols*(tw+gap), rows*(th+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="tiles" viewBox="0 0 %d %d" role="group" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	for _, t := range tiles {
		pos, ok := tilePos[t.Province.Code]
		if !ok {
			continue
		}
		x, y := pos[0]*(tw+gap), pos[1]*(th+gap)
		name := t.Province.ShortName
		if s, ok := tileShort[name]; ok {
			name = s
		}
		label := t.Province.Name + ": " + t.Text
		if t.Href != "" {
			fmt.Fprintf(&b, `<a href="%s" aria-label="%s">`, esc(t.Href), esc(label))
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s" stroke="#505a5f" stroke-width="1"><title>%s</title></rect>`,
			x, y, tw, th, bandFill[t.Band], esc(label))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#0b0c0c">%s</text>`, x+tw/2, y+18, esc(name))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" font-weight="700" text-anchor="middle" fill="#0b0c0c">%s</text>`, x+tw/2, y+36, esc(t.Text))
		if t.Href != "" {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// withQuery returns path with the query values set (empty ones left out).
func withQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
