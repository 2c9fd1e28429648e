// Package domain is the information context (law 31-13 on the right of
// access to information): a request for information as a case with its
// statutory clock on a working-day calendar that is data, the answer or
// reasoned refusal, the recourse to the head of the body and to the
// commission (CDAI), and the register of proactive publication. Pure: no
// I/O, no clock; the day and the calendar come in with each command.
package domain
