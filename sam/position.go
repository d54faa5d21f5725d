package sam

// Status is a model's compliance status.
type Status string

// Compliance statuses.
const (
	Compliant    Status = "compliant"
	NotCompliant Status = "not_compliant"
	OverLicensed Status = "over_licensed"
)

// Position is the license position of one software model in one profile
// (or, with an empty Profile, across profiles): what is owned against what
// is used, and what that costs. Money figures are nil when unknown (no
// counting entitlement has a price), never 0 by default.
type Position struct {
	Profile string `json:"profile,omitempty"`
	Model   string `json:"model"`
	// RightsOwned sums the rights of entitlements counting on the
	// evaluation date; meaningless when Unlimited.
	RightsOwned int64 `json:"rights_owned"`
	Unlimited   bool  `json:"unlimited"`
	// RightsUsed counts distinct users holding an active subscription.
	RightsUsed int64 `json:"rights_used"`
	// Available is RightsOwned − RightsUsed (negative when short).
	Available int64 `json:"available"`
	// RightsNeeded is max(0, used − owned).
	RightsNeeded int64  `json:"rights_needed"`
	Status       Status `json:"status"`
	// Currency of the money figures; empty when unknown.
	Currency         string   `json:"currency"`
	PricePerRight    *Decimal `json:"price_per_right"`
	TrueUpCost       *Decimal `json:"true_up_cost"`
	OverLicensedCost *Decimal `json:"over_licensed_cost"`
	PotentialSavings *Decimal `json:"potential_savings"`
	// Assigned counts active subscriptions; Stale those of reclamation
	// candidates. PercentUnused = Stale ÷ Assigned × 100.
	Assigned      int64    `json:"assigned"`
	Stale         int64    `json:"stale"`
	PercentUnused *Decimal `json:"percent_unused"`
	Spread        Spread   `json:"activity_spread"`
}

// Spread counts active subscriptions by days since last activity.
type Spread struct {
	Days0To30  int64 `json:"0_30"`
	Days30To60 int64 `json:"30_60"`
	Days60To90 int64 `json:"60_90"`
	Days90Plus int64 `json:"90_plus"`
	Never      int64 `json:"never"`
	Unknown    int64 `json:"unknown"`
}
