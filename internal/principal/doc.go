// Package principal turns what an admin types or lists in a file into the IAM principal
// ARNs that EKS access entries take: ARN parsing and classification, IAM and Kubernetes name
// rules, users-file parsing with FILE:LINE problems, and resolution of names to ARNs
// (role paths included) against IAM.
//
// Input mistakes are collected, never returned one at a time: every function that reads
// input returns an *InputError listing each bad place, which the CLI maps to exit code 2.
// Failures of AWS itself (throttling after retries, access denied) are ordinary errors.
package principal
