package vntext

import "testing"

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Hà Nội":                "ha noi",
		"HA NOI":                "ha noi",
		"ha  noi":               "ha noi",
		"Đắk Lắk":               "dak lak",
		"Thành phố Hồ Chí Minh": "thanh pho ho chi minh",
		"Phường Ba Đình (cũ)":   "phuong ba dinh cu",
		"Ê-đê":                  "e de",
		"Nguyễn Thị Ánh":        "nguyen thi anh",
	}
	for in, want := range cases {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if !MatchAll(Fold("Thành phố Hà Nội"), Terms("HA NOI")) || MatchAll(Fold("Hà Nam"), Terms("ha noi")) {
		t.Error("MatchAll")
	}
}
