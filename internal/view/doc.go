// Package view renders use-case results for people: the tables and summaries a command
// prints in its default (table) format. -o json and -o yaml print the results themselves
// (output.Data); the commands choose which, and map results to exit codes.
package view
