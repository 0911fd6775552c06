// Package coopkind says what the kinds of cooperation profiles mean, for
// the competencies service and its readers alike.
package coopkind

import competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"

// IsRequest says whether a cooperation profile of kind k asks for
// something (a need) rather than offers it.
func IsRequest(k competenciesv1.CooperationProfileKind) bool {
	switch k {
	case competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST,
		competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_BUSINESS_REQUEST,
		competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_RESEARCH_PARTNER_SEARCH:
		return true
	}
	return false
}
