// Package population is the national population registry (Cơ sở dữ liệu
// quốc gia về dân cư; provider: the Ministry of Public Security): people,
// households and their changes, every change a new version, served to
// other agencies over the exchange with a purpose for every read.
package population

import "time"

// Person is a công dân's record.
type Person struct {
	ID             string  `json:"id"`                       // the 12-digit personal ID (số định danh cá nhân)
	FullName       string  `json:"full_name"`                // họ, chữ đệm và tên
	BirthDate      string  `json:"birth_date"`               // YYYY-MM-DD, or YYYY-MM or YYYY where records are incomplete
	Sex            string  `json:"sex"`                      // male, female
	Ethnicity      string  `json:"ethnicity"`                // ethnic-groups catalog code
	Religion       string  `json:"religion"`                 // religions catalog code
	Nationality    string  `json:"nationality"`              // countries catalog code (ISO alpha-2)
	BirthPlace     string  `json:"birth_registration_place"` // commune code where the birth was registered
	HomeTown       string  `json:"home_town"`                // quê quán: commune code
	Permanent      Address `json:"permanent_residence"`      // nơi thường trú
	Current        Address `json:"current_residence"`        // nơi ở hiện tại
	HouseholdID    string  `json:"household_id"`
	RelationToHead string  `json:"relation_to_head"` // quan hệ với chủ hộ
	FatherID       string  `json:"father_id,omitempty"`
	MotherID       string  `json:"mother_id,omitempty"`
	SpouseID       string  `json:"spouse_id,omitempty"`
	MaritalStatus  string  `json:"marital_status"` // single, married, divorced, widowed
	Status         string  `json:"status"`         // living, deceased
	DeathDate      string  `json:"death_date,omitempty"`

	Version   int    `json:"version"`
	ValidFrom string `json:"valid_from,omitempty"`
}

// Address is a commune (2025 code) and the street address within it.
type Address struct {
	Commune string `json:"commune"`
	Street  string `json:"street"`
}

// Version is one version of a person's record.
type Version struct {
	Person    Person    `json:"record"`
	Version   int       `json:"version"`
	ValidFrom string    `json:"valid_from"`
	Reason    string    `json:"reason"`
	Author    string    `json:"author"`
	Created   time.Time `json:"created_at"`
}

// Household is a hộ gia đình.
type Household struct {
	ID      string   `json:"id"`
	HeadID  string   `json:"head_id"`
	Address Address  `json:"address"`
	Members []Member `json:"members"`
}

// Member is one person in a household, as the household service shows it.
type Member struct {
	ID             string `json:"id"`
	FullName       string `json:"full_name"`
	RelationToHead string `json:"relation_to_head"`
}

// Relations are a person's family links.
type Relations struct {
	ID       string   `json:"id"`
	Father   *Member  `json:"father,omitempty"`
	Mother   *Member  `json:"mother,omitempty"`
	Spouse   *Member  `json:"spouse,omitempty"`
	Children []Member `json:"children"`
}

// Summary is a search hit.
type Summary struct {
	ID        string `json:"id"`
	FullName  string `json:"full_name"`
	BirthDate string `json:"birth_date"`
	Commune   string `json:"commune"`
	Status    string `json:"status"`
	Version   int    `json:"version"`
}

// Sexes, statuses and marital statuses.
const (
	Male     = "male"
	Female   = "female"
	Living   = "living"
	Deceased = "deceased"
)

var maritalStatuses = map[string]bool{"single": true, "married": true, "divorced": true, "widowed": true}
