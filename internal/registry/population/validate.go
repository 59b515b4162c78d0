package population

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/vnid"
)

// Codes checks catalog codes; the registry declares what it needs and the
// process wires the shared e-catalogs to it.
type Codes interface {
	// Valid reports whether code is in list on day (YYYY-MM-DD; "" means
	// any day, for codes such as a birth-registration commune that may be
	// from before the 2025 merger).
	Valid(ctx context.Context, list, code, day string) bool
}

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

// parseDate reads a full or partial date (YYYY, YYYY-MM, YYYY-MM-DD) and
// returns its earliest day.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if len(s) == len(layout) {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// birthYear is the year of a (partial) birth date, 0 when unreadable.
func birthYear(s string) int {
	if len(s) < 4 {
		return 0
	}
	y, _ := strconv.Atoi(s[:4])
	return y
}

// validate checks p on its own and against the catalogs and the registry
// (through find). It returns one field error per problem.
func validate(ctx context.Context, p *Person, codes Codes, today time.Time, find func(id string) (*Person, bool)) []fault.FieldError {
	var out []fault.FieldError
	id, err := vnid.ParsePersonalID("id", p.ID)
	if f := fault.As(err); f != nil {
		out = append(out, f.Fields...)
	}
	name := strings.TrimSpace(p.FullName)
	switch {
	case name == "":
		out = append(out, fe("full_name", "full_name.required", "Họ và tên không được để trống", "full_name is required"))
	case utf8.RuneCountInString(name) > 100:
		out = append(out, fe("full_name", "full_name.length", "Họ và tên dài tối đa 100 ký tự", "full_name is at most 100 characters"))
	default:
		for _, r := range name {
			if !unicode.IsLetter(r) && r != ' ' && r != '-' && r != '\'' {
				out = append(out, fe("full_name", "full_name.characters", "Họ và tên chỉ gồm chữ cái và dấu cách", "full_name may contain only letters, spaces, hyphens and apostrophes"))
				break
			}
		}
	}
	birth, okBirth := parseDate(p.BirthDate)
	switch {
	case p.BirthDate == "":
		out = append(out, fe("birth_date", "birth_date.required", "Ngày sinh không được để trống (có thể chỉ ghi năm, hoặc tháng và năm)", "birth_date is required (YYYY, YYYY-MM or YYYY-MM-DD)"))
	case !okBirth:
		out = append(out, fe("birth_date", "birth_date.format", "Ngày sinh phải có dạng NNNN-TT-NN, NNNN-TT hoặc NNNN", "birth_date must be YYYY-MM-DD, YYYY-MM or YYYY"))
	case birth.After(today):
		out = append(out, fe("birth_date", "birth_date.future", "Ngày sinh không được sau ngày hôm nay", "birth_date is in the future"))
	case birth.Year() < 1880:
		out = append(out, fe("birth_date", "birth_date.range", "Năm sinh không hợp lệ", "birth year is implausibly early"))
	}
	if p.Sex != Male && p.Sex != Female {
		out = append(out, fe("sex", "sex.value", "Giới tính phải là nam (male) hoặc nữ (female)", "sex must be male or female"))
	}
	if !id.IsZero() && okBirth && (p.Sex == Male || p.Sex == Female) {
		out = append(out, id.ConsistentWith("id", birth.Year(), p.Sex)...)
	}
	day := today.Format(time.DateOnly)
	check := func(field, list, code, when, what string) {
		if code == "" {
			out = append(out, fe(field, field+".required", what+" không được để trống", field+" is required"))
		} else if codes != nil && !codes.Valid(ctx, list, code, when) {
			out = append(out, fe(field, field+".unknown", fmt.Sprintf("Mã %s không có trong danh mục %s", code, list), fmt.Sprintf("%q is not in the %s catalog", code, list)))
		}
	}
	check("ethnicity", "ethnic-groups", p.Ethnicity, "", "Dân tộc")
	check("religion", "religions", p.Religion, "", "Tôn giáo")
	check("nationality", "countries", p.Nationality, "", "Quốc tịch")
	check("birth_registration_place", "admin-units", p.BirthPlace, "", "Nơi đăng ký khai sinh")
	check("home_town", "admin-units", p.HomeTown, "", "Quê quán")
	check("permanent_residence.commune", "admin-units", p.Permanent.Commune, day, "Xã, phường nơi thường trú")
	if p.Current.Commune != "" {
		check("current_residence.commune", "admin-units", p.Current.Commune, day, "Xã, phường nơi ở hiện tại")
	}
	if !maritalStatuses[p.MaritalStatus] {
		out = append(out, fe("marital_status", "marital_status.value", "Tình trạng hôn nhân phải là single, married, divorced hoặc widowed", "marital_status must be single, married, divorced or widowed"))
	}
	switch p.Status {
	case Living:
		if p.DeathDate != "" {
			out = append(out, fe("death_date", "death_date.living", "Người còn sống không có ngày mất", "a living person has no death_date"))
		}
	case Deceased:
		death, ok := parseDate(p.DeathDate)
		switch {
		case !ok:
			out = append(out, fe("death_date", "death_date.format", "Người đã mất cần ngày mất dạng NNNN-TT-NN", "a deceased person needs death_date as YYYY-MM-DD"))
		case death.After(today):
			out = append(out, fe("death_date", "death_date.future", "Ngày mất không được sau ngày hôm nay", "death_date is in the future"))
		case okBirth && death.Before(birth):
			out = append(out, fe("death_date", "death_date.before_birth", "Ngày mất không được trước ngày sinh", "death_date is before birth_date"))
		}
	default:
		out = append(out, fe("status", "status.value", "Trạng thái phải là living (còn sống) hoặc deceased (đã mất)", "status must be living or deceased"))
	}
	relative := func(field, rid, wantSex, role string) {
		if rid == "" || find == nil {
			return
		}
		if rid == p.ID {
			out = append(out, fe(field, field+".self", role+" không thể là chính người này", field+" cannot be the person themself"))
			return
		}
		r, ok := find(rid)
		if !ok {
			out = append(out, fe(field, field+".unknown", fmt.Sprintf("Không có công dân số %s trong cơ sở dữ liệu (%s)", rid, role), fmt.Sprintf("no person %s in the registry", rid)))
			return
		}
		if wantSex != "" && r.Sex != wantSex {
			out = append(out, fe(field, field+".sex", role+" phải có giới tính "+map[string]string{Male: "nam", Female: "nữ"}[wantSex], field+" must be "+wantSex))
		}
		if wantSex != "" && okBirth {
			if pb, ok := parseDate(r.BirthDate); ok && !pb.Before(birth) && birthYear(r.BirthDate) >= birth.Year() {
				out = append(out, fe(field, field+".younger", fmt.Sprintf("%s (sinh %s) không thể nhỏ tuổi hơn con (sinh %s)", role, r.BirthDate, p.BirthDate), fmt.Sprintf("the %s was born %s, not before the child (%s)", field, r.BirthDate, p.BirthDate)))
			}
		}
	}
	relative("father_id", p.FatherID, Male, "Cha")
	relative("mother_id", p.MotherID, Female, "Mẹ")
	relative("spouse_id", p.SpouseID, "", "Vợ hoặc chồng")
	return out
}
