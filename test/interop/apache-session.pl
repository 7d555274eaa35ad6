#!/usr/bin/perl
# The original Perl module, driven by the interoperability test over stdin/stdout.
#   create <dsn>           : new session with {who => 'perl'}, prints "ID <id>", commits
#   hold <dsn> <id>        : ties the session (row locked FOR UPDATE), prints "LOCKED", waits for a line
#                            on stdin, sets {held => 1}, unties (commit), prints "RELEASED"
#   read <dsn> <id>        : prints "WHO <who>"
use strict;
use warnings;
use Apache::Session::Postgres;
$| = 1;

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
} else {
  die "unknown command $command";
}
