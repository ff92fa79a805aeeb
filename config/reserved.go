package config

import (
	_ "embed"
	"strings"
)

// redshiftReservedWords is the list on the Amazon Redshift Database Developer
// Guide's page "Reserved words", as printed there.
//
//go:embed redshift_reserved_words.txt
var redshiftReservedWords string

var reservedWords = func() map[string]bool {
	words := map[string]bool{}
	for _, word := range strings.Fields(redshiftReservedWords) {
		words[word] = true
	}
	return words
}()

// isReservedWord reports whether name is a Redshift reserved word, which
// cannot name a user or a group without quotes.
func isReservedWord(name string) bool { return reservedWords[strings.ToUpper(name)] }
