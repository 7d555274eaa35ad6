#!/usr/bin/perl
# The original Perl module, driven by the interoperability test over stdin/stdout.
#   create <dsn>           : new session with {who => 'perl'}, prints "ID <id>", commits
#   hold <dsn> <id>        : ties the session (row locked FOR UPDATE), prints "LOCKED", waits for a line
#                            on stdin, sets {held => 1}, unties (commit), prints "RELEASED"
#   read <dsn> <id>        : prints "WHO <who>"
#   create-rich <dsn>      : new session holding Perl-typed data (see below), prints "ID <id>"
#   dump <dsn> <id>        : prints "DUMP <json>": the session as Perl sees it (every scalar as its string)
#   bump <dsn> <id>        : count + 1, perl_saw = name, list + 'from perl'; prints "BUMPED"
#   increment <dsn> <id> <n>: n units of work, each count + 1 (tie, ++, untie); "STARTED" after the
#                            first, "DONE" at the end
#   serve                  : Storable without a database, one JSON request per stdin line (see serve())
use strict;
use warnings;
use Apache::Session::Postgres;
use JSON::PP;
use MIME::Base64 qw(encode_base64 decode_base64);
use Scalar::Util qw(reftype weaken refaddr blessed);
use Storable qw(nfreeze thaw);
$| = 1;

my $json = JSON::PP->new->utf8->canonical->allow_nonref;

my ($command, $dsn, $id) = @ARGV;
my %options = (DataSource => $dsn, UserName => 'postgres', Password => '', Commit => 1);
my %session;

if ($command eq 'create') {
  tie %session, 'Apache::Session::Postgres', undef, \%options;
  $session{who} = 'perl';
  print "ID $session{_session_id}\n";
  untie %session;
} elsif ($command eq 'hold') {
  tie %session, 'Apache::Session::Postgres', $id, \%options;
  print "LOCKED\n";
  my $line = <STDIN>;
  $session{held} = 1;
  untie %session;
  print "RELEASED\n";
} elsif ($command eq 'read') {
  tie %session, 'Apache::Session::Postgres', $id, \%options;
  print "WHO $session{who}\n";
  untie %session;
} elsif ($command eq 'create-rich') {
  tie %session, 'Apache::Session::Postgres', undef, \%options;
  my $text = "caf\x{e9} \x{263a}";    # a character string: UTF-8 flagged
  my $bytes = "caf\xc3\xa9";          # a byte string (UTF-8 bytes Perl never decoded)
  my $shared = { n => 1 };
  %session = (
    %session,
    who => 'perl', count => 1, name => 'ann', text => $text, bytes => $bytes,
    list => [1, 2.5, undef, 'x', -70000], nested => { deep => { k => 'v' } },
    big => 2**40, "cl\x{e9}" => 'latin-1 key', "k\x{263a}" => 'utf-8 key',
    one => $shared, two => $shared, __proto__ => { polluted => 1 },
  );
  print "ID $session{_session_id}\n";
  untie %session;
} elsif ($command eq 'dump') {
  tie %session, 'Apache::Session::Postgres', $id, \%options;
  print 'DUMP ', $json->encode(view({%session})), "\n";
  untie %session;
} elsif ($command eq 'bump') {
  tie %session, 'Apache::Session::Postgres', $id, \%options;
  $session{count} += 1;
  $session{perl_saw} = $session{name};
  $session{list} = [@{ $session{list} }, 'from perl']; # Apache::Session sees top-level stores only
  untie %session;
  print "BUMPED\n";
} elsif ($command eq 'increment') {
  for my $i (1 .. $ARGV[3]) {
    tie %session, 'Apache::Session::Postgres', $id, \%options;
    $session{count}++;
    untie %session;
    print "STARTED\n" if $i == 1;
  }
  print "DONE\n";
} elsif ($command eq 'serve') {
  serve();
} else {
  die "unknown command $command";
}

# Perl's view of data: hashes and arrays as JSON ones, undef as null, every other scalar as its string.
sub view {
  my ($data) = @_;
  return undef unless defined $data;
  return "$data" unless ref $data;
  die "blessed: " . blessed($data) if blessed($data);
  return { map { ($_ => view($data->{$_})) } keys %$data } if reftype($data) eq 'HASH';
  return [map { view($_) } @$data] if reftype($data) eq 'ARRAY';
  die "unexpected reference " . reftype($data);
}

# Perl data of chosen Perl types from a spec: {t:'h', e:[[key, spec]...]}, {t:'a', i:[spec...]},
# {t:'s', v, bytes} (bytes: downgraded, no UTF-8 flag; else upgraded, flagged), {t:'i', v} (an IV from
# its decimal text), {t:'n', v} (an NV from its decimal text), {t:'u'} (undef).
sub build {
  my ($spec) = @_;
  my $t = $spec->{t};
  if ($t eq 'h') { my %h; $h{ $_->[0] } = build($_->[1]) for @{ $spec->{e} }; return \%h }
  return [map { build($_) } @{ $spec->{i} }] if $t eq 'a';
  if ($t eq 's') { my $s = $spec->{v}; $spec->{bytes} ? utf8::downgrade($s) : utf8::upgrade($s); return $s }
  return 0 + $spec->{v} if $t eq 'i' || $t eq 'n';
  return undef if $t eq 'u';
  die "unknown spec $t";
}

# Perl's equality of data: the same shape, the same definedness, scalars eq. Returns the first difference.
sub differ {
  my ($a, $b, $path) = @_;
  return "$path: definedness" if defined $a != defined $b;
  return undef unless defined $a;
  return "$path: reference vs scalar" if !!ref $a != !!ref $b;
  unless (ref $a) { return $a eq $b ? undef : "$path: '$a' ne '$b'" }
  return "$path: blessed" if blessed($a) || blessed($b);
  return "$path: " . reftype($a) . ' vs ' . reftype($b) if reftype($a) ne reftype($b);
  if (reftype($a) eq 'ARRAY') {
    return "$path: length" if @$a != @$b;
    for my $i (0 .. $#$a) { my $d = differ($a->[$i], $b->[$i], "$path\[$i]"); return $d if defined $d }
    return undef;
  }
  return "$path: keys" if join("\0", sort keys %$a) ne join("\0", sort keys %$b);
  for my $k (keys %$a) { my $d = differ($a->{$k}, $b->{$k}, "$path\{$k}"); return $d if defined $d }
  return undef;
}

{ package Hooked; sub new { bless {}, shift } sub STORABLE_freeze { ('frozen') } sub STORABLE_thaw { } }
{ package Overloaded; use overload '""' => sub { 'text' }; }

# Images Perl's own Storable writes that have no safe JavaScript equivalent.
sub hostile {
  no warnings 'once';
  require Hash::Util;
  require Tie::Hash;
  tie my %tied, 'Tie::StdHash';
  my %locked = (a => 1);
  Hash::Util::lock_ref_keys(\%locked);
  my $target = {};
  my $weak = { a => $target, w => $target };
  weaken($weak->{w});
  local $Storable::Deparse = 1;
  my %images = (
    blessed => nfreeze({ o => bless({}, 'Evil::Class') }),
    blessedTop => nfreeze(bless({}, 'Evil::Top')),
    code => nfreeze({ c => sub { system('touch /tmp/storable-code-ran') } }),
    hook => nfreeze({ h => Hooked->new }),
    tied => nfreeze({ t => \%tied }),
    regexp => nfreeze({ r => qr/x/ }),
    weak => nfreeze($weak),
    scalarRef => nfreeze({ s => \'x' }),
    refRef => nfreeze({ r => \{} }),
    restricted => nfreeze({ l => \%locked }),
    vstring => nfreeze({ v => v1.2.3 }),
    overloaded => nfreeze({ o => bless({}, 'Overloaded') }),
    topScalar => nfreeze(\'x'),
  );
  return { map { ($_ => encode_base64($images{$_})) } keys %images };
}

# One JSON request per line, one JSON answer per line:
#   {op:'echo', payload}      -> {view, payload}: thaw ours, Perl's view of it, and Perl's own nfreeze of it
#   {op:'build', spec}        -> {payload}: Perl-typed data, nfrozen
#   {op:'check', spec, payload} -> {diff}: thaw ours and compare with build(spec) (null when the same)
#   {op:'sharing', payload}   -> {shared, cycle}: are {one} and {two} one hash, is {self} the top hash
#   {op:'hostile'}            -> {name: payload}
sub serve {
  while (my $line = <STDIN>) {
    my $request = $json->decode($line);
    my $op = $request->{op};
    my $answer = eval {
      my $data = defined $request->{payload} ? thaw(decode_base64($request->{payload})) : undef;
      die "thaw failed\n" if defined $request->{payload} && !defined $data;
      return { view => view($data), payload => encode_base64(nfreeze($data)) } if $op eq 'echo';
      return { payload => encode_base64(nfreeze(build($request->{spec}))) } if $op eq 'build';
      return { diff => differ(build($request->{spec}), $data, '') } if $op eq 'check';
      return {
        shared => (refaddr($data->{one}) == refaddr($data->{two}) ? 1 : 0),
        cycle => (ref $data->{self} && refaddr($data->{self}) == refaddr($data) ? 1 : 0),
      } if $op eq 'sharing';
      return hostile() if $op eq 'hostile';
      die "unknown op $op\n";
    } // { error => "$@" };
    print $json->encode($answer), "\n";
  }
}
