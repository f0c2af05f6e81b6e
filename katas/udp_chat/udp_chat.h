/*
 * udp_chat.h: a group chat over UDP, a relay server and a client.
 * Do not edit: the grader relies on every line of this contract.
 *
 * Entry points: chat_serve (the relay server), chat_client (the client).
 *
 * THE PROTOCOL.  One datagram is one command; there is no newline and no
 * terminator: the datagram's length is the command's length.  Commands:
 *
 *   JOIN <nick>   join the room.               Reply: OK
 *   MSG <text>    say something to the room.   Reply: none
 *   WHO           list the room (anyone may ask). Reply: MEMBERS ...
 *   LEAVE         leave the room.              Reply: OK
 *
 * A member is a sender address (IP and port) that joined with a nick.  A
 * MSG from a member is relayed to every OTHER member, never back to its
 * sender, as one datagram "<nick>: <text>" (text unchanged, possibly empty;
 * "MSG" without a space means empty text).
 *
 * The WHO reply is "MEMBERS" followed by " <nick>" for each member, in any
 * order, each once: "MEMBERS alice bob", or just "MEMBERS" in an empty room.
 *
 * A nick is 1 to CHAT_MAX_NICK bytes (bytes, not characters: "小明" is 6)
 * with no space, no control byte (below 0x20) and no 0x7f.  "JOIN" without
 * a space means an empty nick.
 *
 * ERRORS.  A command that cannot be carried out gets the reply
 * "ERR <reason>" with one of the CHAT_ERR_* tokens below, and changes
 * nothing: no member added or removed, nothing relayed.  The checks are
 * made in this order; the first that fails gives the reason:
 *
 *   1. the datagram is longer than CHAT_MAX_DATAGRAM bytes  too-long
 *   2. the datagram is not valid UTF-8 (RFC 3629: no overlong
 *      forms, no surrogates, nothing above U+10FFFF)        bad-utf8
 *   3. the verb is none of JOIN, MSG, WHO, LEAVE (verbs are
 *      upper case; WHO and LEAVE take nothing after them;
 *      an empty datagram has no verb)                       unknown-command
 *   4. JOIN: the nick breaks the rules above                bad-nick
 *      JOIN: the sender is already a member                 already-joined
 *      JOIN: another member has this nick                   nick-taken
 *      JOIN: the room has CHAT_MAX_MEMBERS members          full
 *      MSG, LEAVE: the sender is not a member               not-joined
 *
 * No datagram from the server is longer than CHAT_MAX_REPLY bytes.
 */
#ifndef UDP_CHAT_H
#define UDP_CHAT_H

#define CHAT_MAX_DATAGRAM 1024	/* longest command accepted, in bytes */
#define CHAT_MAX_NICK 32	/* longest nick, in bytes */
#define CHAT_MAX_MEMBERS 64	/* members at once */
#define CHAT_MAX_REPLY 4096	/* longest datagram a server sends */

#define CHAT_OK "OK"
#define CHAT_MEMBERS "MEMBERS"

#define CHAT_ERR_TOO_LONG "too-long"
#define CHAT_ERR_BAD_UTF8 "bad-utf8"
#define CHAT_ERR_UNKNOWN "unknown-command"
#define CHAT_ERR_BAD_NICK "bad-nick"
#define CHAT_ERR_ALREADY "already-joined"
#define CHAT_ERR_TAKEN "nick-taken"
#define CHAT_ERR_FULL "full"
#define CHAT_ERR_NOT_JOINED "not-joined"

/*
 * The relay server.  sock is a UDP socket already bound by the caller;
 * stop_fd is a descriptor that becomes readable when the server must stop
 * (the grader writes a byte into a pipe).  Serves the protocol above until
 * then, and returns within about half a second of stop_fd becoming
 * readable, even when no datagram arrives: 0 then, or a negative errno if
 * the socket fails.  Bad datagrams are answered, never fatal.  Every thread
 * it started has ended when it returns.  It closes neither descriptor.
 */
int chat_serve(int sock, int stop_fd);

/*
 * The client.  sock is a UDP socket connected to the server (the caller
 * called connect(), so send() and recv() work); in_fd delivers the user's
 * typing, out_fd is the screen.
 *
 * - Each line read from in_fd, without its '\n', is sent as one datagram.
 *   Empty lines are not sent; a last line without '\n' is sent at end of
 *   input.  Lines are at most CHAT_MAX_DATAGRAM bytes.
 * - At the same time, every datagram received (up to CHAT_MAX_REPLY bytes)
 *   is written to out_fd followed by '\n', within about half a second,
 *   even while in_fd stays silent.  Threads or poll(): your choice.
 * - At end of input on in_fd it returns 0, promptly, with every thread it
 *   started ended; a read or write error returns a negative errno.  It
 *   closes none of the three descriptors.
 */
int chat_client(int sock, int in_fd, int out_fd);

#endif
