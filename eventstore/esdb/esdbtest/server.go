package esdbtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Version is the server version GetSupportedMethods reports.
const Version = "24.10.0"

// MaxAppendSize is the server's default limit on the size of one append
// (the events' data, metadata and type names).
const MaxAppendSize = 1 << 20

// readBatchSize is the server's default page size, also its default
// filter search window.
const readBatchSize = 32

// Metadata keys and values the server uses.
const (
	metaType        = "type"
	metaContentType = "content-type"
	metaCreated     = "created"
	contentJSON     = "application/json"
	contentBinary   = "application/octet-stream"
)

// Expected versions as the server's index writer encodes them.
const (
	expectAny          int64 = -2
	expectNoStream     int64 = -1
	expectStreamExists int64 = -4
)

// record is one event in the log. Records are never changed once appended.
type record struct {
	id          uuid.UUID
	stream      string
	revision    uint64
	commit      uint64
	prepare     uint64
	eventType   string
	isJSON      bool
	createdTick int64
	data        []byte
	meta        []byte
}

func (r *record) before(commit, prepare uint64) bool {
	return r.commit < commit || (r.commit == commit && r.prepare < prepare)
}

// Server is an in-process EventStoreDB answering on a loopback port.
type Server struct {
	lis  net.Listener
	grpc *grpc.Server
	port int
	id   uuid.UUID

	mu      sync.Mutex
	all     []*record
	streams map[string][]*record
	// ids holds the last record written with each event id, as the
	// server's committed-events cache does.
	ids map[uuid.UUID]*record
	// next is the log position of the next record.
	next uint64
	// grown is closed, and replaced, whenever the log grows.
	grown chan struct{}
	// drop is closed, and replaced, to end the subscriptions in progress.
	drop   chan struct{}
	closed bool
	done   chan struct{}
}

// New starts a server on 127.0.0.1 and an ephemeral port.
func New() (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("esdbtest: listen: %w", err)
	}
	s := &Server{
		lis:     lis,
		port:    lis.Addr().(*net.TCPAddr).Port,
		id:      uuid.New(),
		streams: make(map[string][]*record),
		ids:     make(map[uuid.UUID]*record),
		grown:   make(chan struct{}),
		drop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.grpc = grpc.NewServer(grpc.MaxRecvMsgSize(17 << 20))
	streams.RegisterStreamsServer(s.grpc, &streamsService{s: s})
	serverfeatures.RegisterServerFeaturesServer(s.grpc, &featuresService{})
	gossip.RegisterGossipServer(s.grpc, &gossipService{s: s})
	go func() {
		_ = s.grpc.Serve(lis)
	}()
	return s, nil
}

// URL returns the connection string of the server for
// esdb.ParseConnectionString.
func (s *Server) URL() string {
	return fmt.Sprintf("esdb://127.0.0.1:%d?tls=false", s.port)
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// Close stops the server, ending every call in progress. The log is lost.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.grpc.Stop()
}

// DropSubscriptions ends every subscription in progress as the real server
// ends one whose consumer is too slow: with Aborted, "Client resubscription
// required". Tests use it to check that subscribers resume.
func (s *Server) DropSubscriptions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.drop)
	s.drop = make(chan struct{})
}

// EventCount returns the number of events in $all.
func (s *Server) EventCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// handlerError is what the real server answers when its handler throws
// (an InvalidOperationException on a malformed request, for instance):
// ASP.NET Core gRPC turns it into Unknown.
func handlerError(format string, args ...any) error {
	return status.Errorf(codes.Unknown, "Exception was thrown by handler. (esdbtest: %s)", fmt.Sprintf(format, args...))
}

// ticks converts a time to .NET ticks (100 ns) since the Unix epoch, the
// "created" metadata.
func ticks(t time.Time) int64 { return t.UnixNano() / 100 }

// ---------------------------------------------------------------------------
// UUIDs

func uuidFromProto(u *shared.UUID) (uuid.UUID, error) {
	switch v := u.GetValue().(type) {
	case *shared.UUID_Structured_:
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(v.Structured.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(b[8:], uint64(v.Structured.GetLeastSignificantBits()))
		return uuid.UUID(b), nil
	case *shared.UUID_String_:
		return uuid.Parse(v.String_)
	default:
		return uuid.UUID{}, errors.New("event id missing")
	}
}

func uuidToProto(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

// ---------------------------------------------------------------------------
// Server features and gossip

type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

func (featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	m := func(service, method string) *serverfeatures.SupportedMethod {
		return &serverfeatures.SupportedMethod{ServiceName: service, MethodName: method}
	}
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: Version,
		Methods: []*serverfeatures.SupportedMethod{
			m("event_store.client.streams.streams", "read"),
			m("event_store.client.streams.streams", "append"),
			m("event_store.client.gossip.gossip", "read"),
			m("event_store.client.server_features.serverfeatures", "getsupportedmethods"),
		},
	}, nil
}

type gossipService struct {
	gossip.UnimplementedGossipServer
	s *Server
}

func (g *gossipService) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   uuidToProto(g.s.id, false),
		TimeStamp:    ticks(time.Now()),
		State:        gossip.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: "127.0.0.1", Port: uint32(g.s.port)},
	}}}, nil
}

// ---------------------------------------------------------------------------
// Append

type streamsService struct {
	streams.UnimplementedStreamsServer
	s *Server
}

type proposed struct {
	id        uuid.UUID
	eventType string
	isJSON    bool
	data      []byte
	meta      []byte
}

func (x *streamsService) Append(call streams.Streams_AppendServer) error {
	first, err := call.Recv()
	if err == io.EOF {
		return handlerError("append without options")
	}
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return handlerError("the first append message must be the options")
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return handlerError("stream name is empty")
	}
	var expected int64
	switch v := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Revision:
		if v.Revision > math.MaxInt64 {
			return handlerError("expected revision %d out of range", v.Revision)
		}
		expected = int64(v.Revision)
	case *streams.AppendReq_Options_Any:
		expected = expectAny
	case *streams.AppendReq_Options_NoStream:
		expected = expectNoStream
	case *streams.AppendReq_Options_StreamExists:
		expected = expectStreamExists
	default:
		return handlerError("expected stream revision missing")
	}

	var events []proposed
	size := 0
	for {
		req, err := call.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		pm := req.GetProposedMessage()
		if pm == nil {
			return handlerError("append message after the options is not a proposed message")
		}
		eventType, ok := pm.GetMetadata()[metaType]
		if !ok {
			return missingMetadata(call, metaType)
		}
		contentType, ok := pm.GetMetadata()[metaContentType]
		if !ok {
			return missingMetadata(call, metaContentType)
		}
		// Event.SizeOnDisk: data, metadata and the type name in UTF-16.
		size += len(pm.GetData()) + len(pm.GetCustomMetadata()) + 2*len(eventType)
		if size > MaxAppendSize {
			call.SetTrailer(metadata.Pairs(
				"exception", "maximum-append-size-exceeded",
				"maximum-append-size", strconv.Itoa(MaxAppendSize)))
			return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", MaxAppendSize)
		}
		id, err := uuidFromProto(pm.GetId())
		if err != nil {
			return handlerError("proposed message id: %v", err)
		}
		events = append(events, proposed{
			id:        id,
			eventType: eventType,
			isJSON:    contentType == contentJSON,
			data:      pm.GetData(),
			meta:      pm.GetCustomMetadata(),
		})
	}
	if err := call.Context().Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return call.SendAndClose(x.s.append(name, expected, opts, events))
}

func missingMetadata(call grpc.ServerStream, key string) error {
	call.SetTrailer(metadata.Pairs(
		"exception", "missing-required-metadata-property",
		"required-metadata-properties", metaType+","+metaContentType))
	return status.Errorf(codes.InvalidArgument, "Required Metadata Property '%s' is missing", key)
}

// append decides an append as the server's commit check does and writes it
// when it is accepted.
func (s *Server) append(name string, expected int64, opts *streams.AppendReq_Options, events []proposed) *streams.AppendResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.streams[name]
	cur := int64(len(recs)) - 1

	wrong := func() *streams.AppendResp { return wrongExpectedVersion(opts, expected, cur) }
	idempotent := func(last int64) *streams.AppendResp {
		resp := &streams.AppendResp_Success{}
		if last < 0 {
			resp.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
			resp.PositionOption = &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
		} else {
			r := recs[last]
			resp.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(last)}
			resp.PositionOption = &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{
				CommitPosition: r.commit, PreparePosition: r.commit,
			}}
		}
		return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: resp}}
	}

	switch {
	case expected == expectStreamExists && cur < 0:
		return wrong()
	case expected == expectAny || expected == expectStreamExists:
		// Idempotency by the committed event ids: a retry whose events
		// were all committed to this stream is answered, not written.
		first := true
		var last int64
		for _, e := range events {
			r, ok := s.ids[e.id]
			if !ok || r.stream != name {
				if first {
					return s.write(name, events)
				}
				return wrong() // corrupted idempotency
			}
			first = false
			last = int64(r.revision)
		}
		if first {
			return s.write(name, events)
		}
		return idempotent(last)
	case expected < cur:
		n := expected
		for _, e := range events {
			n++
			if n > cur || recs[n].id != e.id {
				return wrong()
			}
		}
		return idempotent(n)
	case expected > cur:
		return wrong()
	default:
		return s.write(name, events)
	}
}

func wrongExpectedVersion(opts *streams.AppendReq_Options, expected, cur int64) *streams.AppendResp {
	w := &streams.AppendResp_WrongExpectedVersion{}
	switch opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Any:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case *streams.AppendReq_Options_StreamExists:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case *streams.AppendReq_Options_NoStream:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: math.MaxUint64}
	default:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: uint64(expected)}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: uint64(expected)}
	}
	if cur < 0 {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(cur)}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(cur)}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// write appends events to a stream and to $all; s.mu is held.
func (s *Server) write(name string, events []proposed) *streams.AppendResp {
	recs := s.streams[name]
	resp := &streams.AppendResp_Success{}
	if len(events) == 0 {
		if len(recs) == 0 {
			resp.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
		} else {
			resp.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(len(recs) - 1)}
		}
		resp.PositionOption = &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
		return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: resp}}
	}
	created := ticks(time.Now())
	written := make([]*record, len(events))
	transaction := s.next
	for i, e := range events {
		written[i] = &record{
			id:          e.id,
			stream:      name,
			revision:    uint64(len(recs) + i),
			prepare:     s.next,
			eventType:   e.eventType,
			isJSON:      e.isJSON,
			createdTick: created,
			data:        e.data,
			meta:        e.meta,
		}
		// A prepare record: a fixed header plus the variable parts.
		s.next += uint64(80 + len(name) + len(e.eventType) + len(e.data) + len(e.meta))
	}
	// All events of one write commit together, at the last prepare.
	commit := written[len(written)-1].prepare
	for _, r := range written {
		r.commit = commit
		s.ids[r.id] = r
	}
	s.streams[name] = append(recs, written...)
	s.all = append(s.all, written...)
	close(s.grown)
	s.grown = make(chan struct{})

	resp.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: written[len(written)-1].revision}
	resp.PositionOption = &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{
		CommitPosition: commit, PreparePosition: transaction,
	}}
	return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: resp}}
}

// ---------------------------------------------------------------------------
// Read

// filter is a server-side $all filter.
type filter struct {
	onType   bool
	prefixes []string
	re       *regexp.Regexp
	// checkpointEvery is the number of considered events between two
	// checkpoints of a subscription.
	checkpointEvery uint64
}

func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	subject := r.stream
	if f.onType {
		subject = r.eventType
	}
	if f.re != nil {
		return f.re.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

func parseFilter(o *streams.ReadReq_Options_FilterOptions, subscription bool) (*filter, error) {
	f := &filter{}
	var expr *streams.ReadReq_Options_FilterOptions_Expression
	switch v := o.GetFilter().(type) {
	case *streams.ReadReq_Options_FilterOptions_StreamIdentifier:
		expr = v.StreamIdentifier
	case *streams.ReadReq_Options_FilterOptions_EventType:
		expr, f.onType = v.EventType, true
	default:
		return nil, handlerError("filter without a stream or event type expression")
	}
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, handlerError("filter regex: %v", err)
		}
		f.re = re
	} else {
		f.prefixes = expr.GetPrefix()
	}
	window := uint64(readBatchSize)
	switch v := o.GetWindow().(type) {
	case *streams.ReadReq_Options_FilterOptions_Max:
		window = uint64(v.Max)
	case *streams.ReadReq_Options_FilterOptions_Count:
	default:
		if subscription {
			return nil, handlerError("filter without a search window")
		}
	}
	if subscription {
		if o.GetCheckpointIntervalMultiplier() == 0 {
			return nil, handlerError("checkpoint interval multiplier must be positive")
		}
		f.checkpointEvery = window * uint64(o.GetCheckpointIntervalMultiplier())
		if f.checkpointEvery == 0 {
			f.checkpointEvery = 1
		}
	}
	return f, nil
}

// allFrom says where a read or subscription of $all starts.
type allFrom struct {
	start, end bool
	commit     uint64
	prepare    uint64
}

func parseAllFrom(o *streams.ReadReq_Options_AllOptions) (allFrom, error) {
	switch v := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Start:
		return allFrom{start: true}, nil
	case *streams.ReadReq_Options_AllOptions_End:
		return allFrom{end: true}, nil
	case *streams.ReadReq_Options_AllOptions_Position:
		c, p := v.Position.GetCommitPosition(), v.Position.GetPreparePosition()
		if c < p {
			return allFrom{}, handlerError("the commit position %d cannot be less than the prepare position %d", c, p)
		}
		return allFrom{commit: c, prepare: p}, nil
	default:
		return allFrom{}, handlerError("$all read without a start")
	}
}

// streamFrom says where a read or subscription of a stream starts.
type streamFrom struct {
	start, end bool
	revision   uint64
}

func parseStreamFrom(o *streams.ReadReq_Options_StreamOptions) (streamFrom, error) {
	switch v := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Start:
		return streamFrom{start: true}, nil
	case *streams.ReadReq_Options_StreamOptions_End:
		return streamFrom{end: true}, nil
	case *streams.ReadReq_Options_StreamOptions_Revision:
		return streamFrom{revision: v.Revision}, nil
	default:
		return streamFrom{}, handlerError("stream read without a start")
	}
}

// reader turns records into read responses.
type reader struct {
	asString bool
}

func (rd reader) event(r *record, fromAll bool) *streams.ReadResp {
	contentType := contentBinary
	if r.isJSON {
		contentType = contentJSON
	}
	ev := &streams.ReadResp_ReadEvent{
		Event: &streams.ReadResp_ReadEvent_RecordedEvent{
			Id:               uuidToProto(r.id, rd.asString),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.prepare,
			CommitPosition:   r.commit,
			Metadata: map[string]string{
				metaType:        r.eventType,
				metaContentType: contentType,
				metaCreated:     strconv.FormatInt(r.createdTick, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
	}
	if fromAll {
		ev.Position = &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.commit}
	} else {
		ev.Position = &streams.ReadResp_ReadEvent_NoPosition{NoPosition: &shared.Empty{}}
	}
	return &streams.ReadResp{Content: &streams.ReadResp_Event{Event: ev}}
}

func (x *streamsService) Read(req *streams.ReadReq, call streams.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return handlerError("read without options")
	}
	if o.GetUuidOption() == nil {
		return handlerError("read without a UUID option")
	}
	rd := reader{asString: o.GetUuidOption().GetString_() != nil}
	dir := o.GetReadDirection()
	if dir != streams.ReadReq_Options_Forwards && dir != streams.ReadReq_Options_Backwards {
		return handlerError("unknown read direction %d", dir)
	}
	var f *filter
	switch v := o.GetFilterOption().(type) {
	case *streams.ReadReq_Options_NoFilter:
	case *streams.ReadReq_Options_Filter:
		if o.GetAll() == nil {
			return handlerError("a filter applies to $all only")
		}
		var err error
		if f, err = parseFilter(v.Filter, o.GetSubscription() != nil); err != nil {
			return err
		}
	default:
		return handlerError("read without a filter option")
	}
	_, count := o.GetCountOption().(*streams.ReadReq_Options_Count)
	subscription := o.GetSubscription() != nil
	if !count && !subscription {
		return handlerError("read without a count or subscription option")
	}
	if subscription && dir != streams.ReadReq_Options_Forwards {
		return handlerError("subscriptions read forwards only")
	}

	switch so := o.GetStreamOption().(type) {
	case *streams.ReadReq_Options_Stream:
		name := string(so.Stream.GetStreamIdentifier().GetStreamName())
		if name == "" {
			return handlerError("stream name is empty")
		}
		from, err := parseStreamFrom(so.Stream)
		if err != nil {
			return err
		}
		if subscription {
			return x.s.subscribeStream(call, rd, name, from)
		}
		return x.s.readStream(call, rd, name, from, dir == streams.ReadReq_Options_Backwards, o.GetCount())
	case *streams.ReadReq_Options_All:
		from, err := parseAllFrom(so.All)
		if err != nil {
			return err
		}
		if subscription {
			return x.s.subscribeAll(call, rd, from, f)
		}
		return x.s.readAll(call, rd, from, dir == streams.ReadReq_Options_Backwards, o.GetCount(), f)
	default:
		return handlerError("read without a stream option")
	}
}

func (s *Server) snapshotStream(name string) []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.streams[name]
	return recs[:len(recs):len(recs)]
}

func (s *Server) snapshotAll() []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all[:len(s.all):len(s.all)]
}

func (s *Server) readStream(call streams.Streams_ReadServer, rd reader, name string, from streamFrom, backwards bool, count uint64) error {
	recs := s.snapshotStream(name)
	if len(recs) == 0 {
		return call.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{StreamNotFound: &streams.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)},
		}}})
	}
	last := uint64(len(recs) - 1)
	var sent uint64
	if !backwards {
		i := from.revision
		switch {
		case from.start:
			i = 0
		case from.end:
			i = last + 1
		}
		for ; i <= last && sent < count; i++ {
			if err := call.Send(rd.event(recs[i], false)); err != nil {
				return err
			}
			sent++
		}
		return nil
	}
	i := min(from.revision, last)
	switch {
	case from.start:
		i = 0
	case from.end:
		i = last
	}
	for ; sent < count; i-- {
		if err := call.Send(rd.event(recs[i], false)); err != nil {
			return err
		}
		sent++
		if i == 0 {
			break
		}
	}
	return nil
}

// firstAtOrAfter returns the index of the first record at or after the
// position.
func firstAtOrAfter(all []*record, commit, prepare uint64) int {
	return sort.Search(len(all), func(i int) bool { return !all[i].before(commit, prepare) })
}

func (s *Server) readAll(call streams.Streams_ReadServer, rd reader, from allFrom, backwards bool, count uint64, f *filter) error {
	all := s.snapshotAll()
	var sent uint64
	if !backwards {
		i := 0
		switch {
		case from.start:
		case from.end:
			i = len(all)
		default:
			i = firstAtOrAfter(all, from.commit, from.prepare)
		}
		for ; i < len(all) && sent < count; i++ {
			if !f.match(all[i]) {
				continue
			}
			if err := call.Send(rd.event(all[i], true)); err != nil {
				return err
			}
			sent++
		}
		return nil
	}
	i := len(all) - 1
	switch {
	case from.end:
	case from.start:
		i = -1
	default:
		i = firstAtOrAfter(all, from.commit, from.prepare) - 1
	}
	for ; i >= 0 && sent < count; i-- {
		if !f.match(all[i]) {
			continue
		}
		if err := call.Send(rd.event(all[i], true)); err != nil {
			return err
		}
		sent++
	}
	return nil
}

// ---------------------------------------------------------------------------
// Subscriptions

func (s *Server) confirm(call streams.Streams_ReadServer) error {
	return call.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{
		Confirmation: &streams.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()},
	}})
}

func caughtUp() *streams.ReadResp {
	return &streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}}
}

// wait blocks until the log grows past what a subscription has seen, the
// call ends, the subscription is dropped or the server closes. It returns
// the error that ends the subscription, nil when the log grew.
func (s *Server) wait(ctx context.Context, grown, drop <-chan struct{}) error {
	select {
	case <-grown:
		return nil
	case <-drop:
		return errDropped
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	case <-s.done:
		return status.Error(codes.Unavailable, "Server Is Shutting Down")
	}
}

var errDropped = status.Error(codes.Aborted, "Operation timed out: Consumer too slow to handle event while live. Client resubscription required.")

// dropped reports whether DropSubscriptions was called since drop was
// taken.
func dropped(drop <-chan struct{}) bool {
	select {
	case <-drop:
		return true
	default:
		return false
	}
}

func (s *Server) subscribeStream(call streams.Streams_ReadServer, rd reader, name string, from streamFrom) error {
	s.mu.Lock()
	drop := s.drop
	next := uint64(0)
	switch {
	case from.start:
	case from.end:
		next = uint64(len(s.streams[name]))
	default:
		next = from.revision + 1
	}
	s.mu.Unlock()
	if err := s.confirm(call); err != nil {
		return err
	}
	live := false
	for {
		if dropped(drop) {
			return errDropped
		}
		s.mu.Lock()
		recs := s.streams[name]
		var batch []*record
		if next < uint64(len(recs)) {
			batch = recs[next:min(uint64(len(recs)), next+readBatchSize)]
		}
		grown := s.grown
		s.mu.Unlock()
		for _, r := range batch {
			if err := call.Send(rd.event(r, false)); err != nil {
				return err
			}
			next = r.revision + 1
		}
		if len(batch) > 0 {
			continue
		}
		if !live {
			live = true
			if err := call.Send(caughtUp()); err != nil {
				return err
			}
		}
		if err := s.wait(call.Context(), grown, drop); err != nil {
			return err
		}
	}
}

func (s *Server) subscribeAll(call streams.Streams_ReadServer, rd reader, from allFrom, f *filter) error {
	s.mu.Lock()
	drop := s.drop
	next := 0
	switch {
	case from.start:
	case from.end:
		next = len(s.all)
	default:
		// The subscription starts after the given position.
		next = firstAtOrAfter(s.all, from.commit, from.prepare)
		if next < len(s.all) && s.all[next].commit == from.commit && s.all[next].prepare == from.prepare {
			next++
		}
	}
	s.mu.Unlock()
	if err := s.confirm(call); err != nil {
		return err
	}
	live := false
	var considered uint64
	for {
		if dropped(drop) {
			return errDropped
		}
		s.mu.Lock()
		batch := s.all[next:min(len(s.all), next+readBatchSize)]
		grown := s.grown
		s.mu.Unlock()
		for _, r := range batch {
			next++
			considered++
			if f.match(r) {
				if err := call.Send(rd.event(r, true)); err != nil {
					return err
				}
			}
			if f != nil && considered >= f.checkpointEvery {
				considered %= f.checkpointEvery
				if err := call.Send(&streams.ReadResp{Content: &streams.ReadResp_Checkpoint_{Checkpoint: &streams.ReadResp_Checkpoint{
					CommitPosition: r.commit, PreparePosition: r.prepare,
				}}}); err != nil {
					return err
				}
			}
		}
		if len(batch) > 0 {
			continue
		}
		if !live {
			live = true
			if err := call.Send(caughtUp()); err != nil {
				return err
			}
		}
		if err := s.wait(call.Context(), grown, drop); err != nil {
			return err
		}
	}
}
