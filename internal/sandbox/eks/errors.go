package eks

import (
	"errors"
	"net/http"
)

// declaredErrors are the error shapes each operation's model declares (botocore's
// eks/2017-11-01 service-2.json); the SDKs type only those (older generated clients per
// operation), so an answer must use one of them or one of AWS's common errors.
var declaredErrors = map[string]map[string]bool{
	"ListAccessPolicies":           {"ServerException": true},
	"ListClusters":                 {"InvalidParameterException": true, "ClientException": true, "ServerException": true, "ServiceUnavailableException": true},
	"CreateCluster":                {"ResourceInUseException": true, "ResourceLimitExceededException": true, "InvalidParameterException": true, "ClientException": true, "ServerException": true, "ServiceUnavailableException": true, "UnsupportedAvailabilityZoneException": true},
	"DescribeCluster":              {"ResourceNotFoundException": true, "ClientException": true, "ServerException": true, "ServiceUnavailableException": true},
	"DeleteCluster":                {"ResourceInUseException": true, "ResourceNotFoundException": true, "ClientException": true, "ServerException": true, "ServiceUnavailableException": true, "InvalidRequestException": true},
	"UpdateClusterConfig":          {"InvalidParameterException": true, "ClientException": true, "ServerException": true, "ResourceInUseException": true, "ResourceNotFoundException": true, "InvalidRequestException": true, "ThrottlingException": true},
	"ListUpdates":                  {"InvalidParameterException": true, "ClientException": true, "ServerException": true, "ResourceNotFoundException": true},
	"DescribeUpdate":               {"InvalidParameterException": true, "ClientException": true, "ServerException": true, "ResourceNotFoundException": true},
	"CreateAccessEntry":            {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true, "InvalidParameterException": true, "ResourceLimitExceededException": true, "ResourceInUseException": true},
	"ListAccessEntries":            {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true, "InvalidParameterException": true},
	"DescribeAccessEntry":          {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true},
	"UpdateAccessEntry":            {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true, "InvalidParameterException": true},
	"DeleteAccessEntry":            {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true},
	"AssociateAccessPolicy":        {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true, "InvalidParameterException": true},
	"DisassociateAccessPolicy":     {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true},
	"ListAssociatedAccessPolicies": {"ServerException": true, "ResourceNotFoundException": true, "InvalidRequestException": true},
	"ListTagsForResource":          {"BadRequestException": true, "NotFoundException": true},
	"TagResource":                  {"BadRequestException": true, "NotFoundException": true},
	"UntagResource":                {"BadRequestException": true, "NotFoundException": true},
}

// commonErrors are answered by every operation (AWS's common errors for the EKS API).
var commonErrors = map[string]bool{
	"AccessDeniedException": true, "ThrottlingException": true, "ValidationException": true, "SerializationException": true,
}

// declared turns a bad-input error an operation does not declare into the nearest one it
// does (InvalidRequestException, InvalidParameterException, ClientException, in that order),
// or into the common ValidationException, as AWS's input validation answers.
func declared(op string, err error) error {
	var ae *apiError
	if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || commonErrors[ae.code] {
		return err
	}
	decl, known := declaredErrors[op]
	if !known || decl[ae.code] {
		return err
	}
	out := *ae
	if ae.constraint {
		out.code, out.extra = "ValidationException", nil
		return &out
	}
	for _, code := range []string{"InvalidRequestException", "InvalidParameterException", "ClientException", "BadRequestException"} {
		if decl[code] {
			out.code = code
			return &out
		}
	}
	out.code, out.extra = "ValidationException", nil
	return &out
}
