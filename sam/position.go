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
// is used, and what that costs.
//
// Money is per year and not prorated: PricePerRight is the annualized unit
// price, and TrueUpCost, OverLicensedCost and PotentialSavings are that
// price times a number of rights, whatever part of the contract's term is
// left. Money figures are nil when unknown (no counting entitlement has a
// price, or the prices mix currencies), never 0 by default.
//
// On an Unlimited position every user is covered (RightsCovered =
// RightsUsed), Status is Compliant, RightsOwned, Available and
// RightsNeeded are 0, TrueUpCost is a known 0 (an unlimited licence never
// owes a true-up) in the currency the unlimited entitlement states (nil,
// with Currency empty, when it states none: no amount without its
// currency), and PricePerRight, OverLicensedCost and PotentialSavings are
// nil: a flat licence has no price per right.
type Position struct {
	Profile string `json:"profile,omitempty"`
	Model   string `json:"model"`
	// RightsOwned sums the finite rights of the entitlements counting in
	// this position on the evaluation date; 0 when Unlimited. When several
	// profiles are reconciled, a profile's position counts only the
	// entitlements of its profile (see SharedRights).
	RightsOwned int64 `json:"rights_owned"`
	Unlimited   bool  `json:"unlimited"`
	// SharedRights, on a profile's position when several profiles are
	// reconciled, is the finite rights of counting company-wide
	// entitlements (no profile), which every profile draws on together:
	// they are not in RightsOwned and are counted once, in the
	// cross-profile total. 0 otherwise (with one profile they are in
	// RightsOwned).
	SharedRights int64 `json:"shared_rights"`
	// RightsUsed counts distinct people holding an active subscription.
	RightsUsed int64 `json:"rights_used"`
	// RightsCovered counts the people of RightsUsed covered by an
	// unlimited entitlement, who need no right: all of them when
	// Unlimited; in a cross-profile total that is not Unlimited, those
	// who hold the model only in profiles with their own counting
	// unlimited entitlement; 0 otherwise.
	RightsCovered int64 `json:"rights_covered"`
	// Available is RightsOwned − (RightsUsed − RightsCovered): negative
	// when short; 0 when Unlimited.
	Available int64 `json:"available"`
	// RightsNeeded is max(0, −Available).
	RightsNeeded int64 `json:"rights_needed"`
	// Status is NotCompliant when Available < 0, OverLicensed when
	// Available > 0, Compliant otherwise (always when Unlimited).
	Status Status `json:"status"`
	// Currency of the money figures; empty when unknown.
	Currency string `json:"currency"`
	// PricePerRight is the rights-weighted average annualized unit price
	// of the priced entitlements counted in RightsOwned.
	PricePerRight *Decimal `json:"price_per_right"`
	// TrueUpCost is PricePerRight × RightsNeeded, per year.
	TrueUpCost *Decimal `json:"true_up_cost"`
	// OverLicensedCost is PricePerRight × max(0, Available), per year.
	OverLicensedCost *Decimal `json:"over_licensed_cost"`
	// PotentialSavings is PricePerRight × the stale people not covered by
	// an unlimited entitlement, per year.
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
