package portal

import (
	"context"

	"github.com/vngov/vngov/internal/payment"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/wallet"
)

// Payments is the payment adapter as the portal uses it;
// *payment.Service satisfies it. Start returns the pending payment of the
// same reference when there is one; only the provider's verified
// notification changes a payment's state.
type Payments interface {
	Start(ctx context.Context, in payment.Request) (payment.Payment, error)
	ForRef(ctx context.Context, ref string) ([]payment.Payment, error)
}

// latestPayment is the most recent payment for ref, or nil.
func latestPayment(ps []payment.Payment) *payment.Payment {
	if len(ps) == 0 {
		return nil
	}
	p := ps[len(ps)-1]
	return &p
}

// Wallet is the citizen's data wallet as the portal uses it;
// *wallet.Service satisfies it. Grant records a consent given on the
// portal (for prefill: which data, from where, to whom, for what); Items
// lists the documents the citizen may reuse in a dossier (its Ref is what
// the dossier references).
type Wallet interface {
	Grant(ctx context.Context, who audit.Actor, holderID string, c wallet.Consent) (wallet.Consent, error)
	Items(ctx context.Context, holderID string) ([]wallet.Item, error)
}
