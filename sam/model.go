package sam

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Identifier names what a subscription is for, as the vendor reports it:
// for Aha!, the product seat ("roadmaps_seat", "develop_seat").
type Identifier string

// SoftwareModel is a publisher's product (and edition) that entitlements are
// bought for and subscriptions consume. Subscriptions reach a model through
// its identifiers.
type SoftwareModel struct {
	Publisher   string       `json:"publisher"`
	Product     string       `json:"product"`
	Edition     string       `json:"edition,omitempty"`
	Identifiers []Identifier `json:"identifiers"`
}

// Name is the model's display name and key: the product, followed by the
// edition when there is one. Entitlements name their model by it.
func (m SoftwareModel) Name() string {
	if m.Edition == "" {
		return m.Product
	}
	return m.Product + " " + m.Edition
}

// Catalog maps subscription identifiers to software models.
// The zero value and a nil *Catalog are empty catalogs.
type Catalog struct {
	models  []SoftwareModel
	byIdent map[Identifier]int
	byName  map[string]int
}

// NewCatalog builds a catalog. It is an error for two models to share a name
// or an identifier.
func NewCatalog(models ...SoftwareModel) (*Catalog, error) {
	c := &Catalog{byIdent: map[Identifier]int{}, byName: map[string]int{}}
	for i, m := range models {
		if m.Product == "" {
			return nil, fmt.Errorf("sam: software model %d has no product name", i)
		}
		if _, dup := c.byName[m.Name()]; dup {
			return nil, fmt.Errorf("sam: software model %q is listed twice", m.Name())
		}
		c.byName[m.Name()] = i
		for _, id := range m.Identifiers {
			if j, dup := c.byIdent[id]; dup {
				return nil, fmt.Errorf("sam: identifier %q maps to both %q and %q", id, models[j].Name(), m.Name())
			}
			c.byIdent[id] = i
		}
		c.models = append(c.models, m)
	}
	return c, nil
}

// Models returns the catalog's models, sorted by name.
func (c *Catalog) Models() []SoftwareModel {
	if c == nil {
		return nil
	}
	out := append([]SoftwareModel(nil), c.models...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// ForIdentifier returns the model an identifier belongs to.
func (c *Catalog) ForIdentifier(id Identifier) (SoftwareModel, bool) {
	if c == nil {
		return SoftwareModel{}, false
	}
	i, ok := c.byIdent[id]
	if !ok {
		return SoftwareModel{}, false
	}
	return c.models[i], true
}

// ByName returns the model with the given name.
func (c *Catalog) ByName(name string) (SoftwareModel, bool) {
	if c == nil {
		return SoftwareModel{}, false
	}
	i, ok := c.byName[name]
	if !ok {
		return SoftwareModel{}, false
	}
	return c.models[i], true
}

// MarshalJSON writes the catalog as a JSON array of its models, sorted by
// name.
func (c *Catalog) MarshalJSON() ([]byte, error) {
	m := c.Models()
	if m == nil {
		m = []SoftwareModel{}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads an array of models, with the checks of [NewCatalog].
func (c *Catalog) UnmarshalJSON(b []byte) error {
	var models []SoftwareModel
	if err := json.Unmarshal(b, &models); err != nil {
		return err
	}
	n, err := NewCatalog(models...)
	if err != nil {
		return err
	}
	*c = *n
	return nil
}
