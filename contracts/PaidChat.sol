// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PaidChat — paid, end-to-end encrypted conversations with escrow (protocol version 2)
/// @notice A creator claims a handle with a price, a reply window and an inbox key. A visitor
/// sends an encrypted message with at least that price; the coins sit here. A reply before the
/// deadline pays the creator (minus the protocol fee fixed when the message was sent); otherwise
/// anyone may refund the sender at or after the deadline. Once a creator has replied, both parties
/// may go on writing follow-ups in that conversation (its thread) until either closes it.
/// @dev Built for Harmony: Istanbul EVM (no PUSH0, no transient storage), legacy transactions.
/// Ciphertexts live only in event data; storage keeps the escrow and the indexes needed to page an
/// inbox or a conversation without an indexer.
///
/// Keys: inbox keys are X25519 public keys (every 32-byte value is a valid X25519 public key;
/// zero is refused). Each account's keys are numbered 1, 2, …; the newest is the one senders seal
/// to, and an envelope sent to an account must name it (bytes 2..5 of every envelope, big-endian),
/// so a message is never sealed to a key its owner has replaced. Senders need no key on chain:
/// their per-conversation key travels inside their envelopes.
///
/// Ids: a message id is `accountNumber(recipient) << 32 | inboxIndex`, so an inbox is a contiguous
/// range. A conversation (thread) is one ordered pair (sender, recipient), numbered 1, 2, …; its
/// paid messages form a linked list, its follow-ups a packed list of block numbers.
contract PaidChat {
    // ------------------------------------------------------------------ constants
    uint256 public constant PROTOCOL_VERSION = 2;
    uint256 public constant MAX_FEE_BPS = 500; // 5 %, hard cap
    uint256 public constant DEFAULT_FEE_BPS = 100; // 1 %
    uint256 public constant MIN_WINDOW = 1 hours;
    uint256 public constant MAX_WINDOW = 30 days;
    uint256 public constant DEFAULT_WINDOW = 7 days;
    /// Every envelope starts with version, kind and a 4-byte key id.
    uint256 public constant MIN_ENVELOPE_BYTES = 6;
    uint256 public constant MAX_ENVELOPE_BYTES = 320;
    uint256 public constant MAX_SITES_BYTES = 256;
    uint256 public constant MAX_PAGE = 100;
    /// Gas the receiver of a pushed payout always gets. Enough for a contract wallet's receive
    /// hook; a receiver that reverts or burns it gets a withdrawable credit instead.
    uint256 public constant PUSH_GAS = 40_000;
    /// What a value-carrying CALL costs the caller before the callee runs (Istanbul: 700 + 9,000),
    /// plus the few opcodes between the gas check and the call.
    uint256 private constant _CALL_COST = 9_700 + 300;

    uint8 public constant STATUS_NONE = 0;
    uint8 public constant STATUS_WAITING = 1;
    uint8 public constant STATUS_REFUNDABLE = 2;
    uint8 public constant STATUS_REPLIED = 3;
    uint8 public constant STATUS_REFUNDED = 4;

    /// `Message.replyBlock` of a refunded message.
    uint32 private constant _REFUNDED = type(uint32).max;
    uint256 private constant _PAIR_BLOCKED = 1 << 32;

    // ------------------------------------------------------------------ storage
    /// One slot, read (and the inbox count written) by every send to this account.
    struct Account {
        uint96 price; // wei
        uint24 window; // seconds; 0 = holds no handle
        uint32 keyCount; // inbox keys 1..keyCount; the newest is current
        uint32 number; // account number, 0 = none yet
        uint32 inboxCount;
    }

    /// One slot per paid message.
    struct Message {
        uint32 pair; // conversation (thread) number
        uint96 amount; // wei paid
        uint32 sentBlock; // block of MessageSent
        uint32 deadline; // unix seconds; replies strictly before, refunds at or after
        uint32 replyBlock; // 0 open, _REFUNDED refunded, else the block of MessageReplied
        uint32 prevInPair; // inbox index + 1 of the previous paid message in this pair; 0 = none
    }

    /// One slot per conversation (ordered pair sender → recipient).
    struct Pair {
        address sender;
        uint32 recipientNumber;
        uint32 last; // inbox index + 1 of the newest paid message; 0 = none
        uint32 followUps; // number of follow-ups posted
    }

    mapping(address => Account) private _accounts;
    mapping(address => bytes32) private _handleOf;
    mapping(bytes32 => address) private _handleOwner;
    mapping(uint32 => address) private _addressOf;
    mapping(address => mapping(uint32 => bytes32)) private _keys;
    mapping(address => bytes) private _sites;
    mapping(address => uint96) private _followUpPrice;
    mapping(uint64 => Message) private _messages;
    /// keccak256(sender, recipient) → pair number (low 32 bits) | _PAIR_BLOCKED
    mapping(bytes32 => uint256) private _pairKey;
    mapping(uint32 => Pair) private _pairs;
    /// Inbox index from which a thread is open again after a close (a reply to a message at or
    /// above it reopens the conversation).
    mapping(uint32 => uint32) private _closedBelow;
    /// Blocks of a conversation's follow-ups, eight uint32 per word: pair << 32 | word index.
    mapping(uint64 => uint256) private _followUpBlocks;
    /// Hidden messages, one bit each: word `id >> 8`, bit `id & 255`.
    mapping(uint64 => uint256) private _hidden;
    mapping(address => uint256) private _credits;
    /// Earlier fees, each `fromBlock << 16 | bps`, oldest first; a message pays the fee in force at
    /// its `sentBlock`.
    uint256[] private _feeHistory;

    // One slot: read and written by every paid reply.
    uint32 private _accountCount;
    uint32 private _pairCount;
    uint128 private _accruedFees;
    uint32 private _feeFromBlock; // the current fee applies to messages sent in this block or later
    uint16 private _feeBps; // the current fee
    address private _owner;
    address private _pendingOwner;
    address private _feeRecipient;
    uint256 private _totalCredits;

    // ------------------------------------------------------------------ events
    event InboxKeyAdded(address indexed account, uint32 indexed keyId, bytes32 key);
    event HandleClaimed(address indexed account, bytes32 indexed handle, uint256 price, uint256 window);
    event ProfileUpdated(address indexed account, bytes32 indexed handle, uint256 price, uint256 window, uint256 followUpPrice);
    event SitesUpdated(address indexed account, bytes sites);
    event HandleReleased(address indexed account, bytes32 indexed handle);
    event MessageSent(
        uint64 indexed id,
        address indexed sender,
        address indexed recipient,
        uint32 thread,
        uint256 amount,
        uint256 deadline,
        bytes envelope
    );
    event MessageReplied(
        uint64 indexed id, address indexed sender, address indexed recipient, uint32 thread, uint256 payout, uint256 fee, bytes envelope
    );
    event MessageRefunded(uint64 indexed id, address indexed sender, address indexed recipient, uint256 amount);
    event FollowUpPosted(
        uint32 indexed thread, address indexed author, address indexed reader, uint32 index, uint256 payout, uint256 fee, bytes envelope
    );
    event ThreadClosed(uint32 indexed thread, address indexed by);
    event BlockChanged(address indexed account, address indexed sender, bool blocked);
    event HiddenChanged(address indexed account, uint64[] ids, bool hidden);
    event PaymentDeferred(address indexed account, uint256 amount);
    event CreditWithdrawn(address indexed account, address indexed to, uint256 amount);
    event FeeChanged(uint256 previousBps, uint256 newBps, uint256 fromBlock);
    event FeeRecipientChanged(address indexed previousRecipient, address indexed newRecipient);
    event FeesWithdrawn(address indexed to, uint256 amount);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    // ------------------------------------------------------------------ errors
    error HandleInvalid(bytes32 handle);
    error HandleTaken(bytes32 handle, address owner);
    error AlreadyHasHandle(address account, bytes32 handle);
    error NoHandle(address account);
    error WindowOutOfRange(uint256 window, uint256 min, uint256 max);
    error KeyInvalid();
    error NoInboxKey(address account);
    error StaleInboxKey(address account, uint32 current, uint32 given);
    error SitesTooLong(uint256 size, uint256 max);
    error SelfMessage();
    error SenderBlocked(address recipient, address sender);
    error PriceTooLow(uint256 required, uint256 sent);
    error WindowTooLong(uint256 window, uint256 maxWindow);
    error EnvelopeSize(uint256 size, uint256 min, uint256 max);
    error AmountTooLarge(uint256 amount);
    error UnknownMessage(uint64 id);
    error NotRecipient(uint64 id, address caller);
    error ReplyWindowClosed(uint64 id, uint256 deadline);
    error NotYetRefundable(uint64 id, uint256 deadline);
    error AlreadySettled(uint64 id, uint8 status);
    error NothingToRefund();
    error TooManyIds(uint256 count, uint256 max);
    error UnknownThread(uint32 thread);
    error NotAParty(uint32 thread, address caller);
    error ThreadNotOpen(uint32 thread, uint64 ticket);
    error ValueNotAccepted(uint256 value);
    error FeeTooHigh(uint256 bps, uint256 max);
    error NotOwner(address caller);
    error ZeroAddress();
    error NothingToWithdraw();
    error TransferFailed(address to, uint256 amount);
    error InsufficientGas(uint256 left, uint256 needed);

    // ------------------------------------------------------------------ views' return types
    struct Profile {
        address account;
        bytes32 handle;
        uint256 price;
        uint256 followUpPrice;
        uint256 window;
        uint32 keyId; // current inbox key id, 0 = none
        bytes32 key; // current inbox key
        uint256 inboxCount;
    }

    struct MessageView {
        uint64 id;
        uint32 thread;
        address sender;
        address recipient;
        bytes32 senderHandle;
        uint256 amount;
        uint256 feeBps; // the fee this message pays on reply (fixed when it was sent)
        uint256 deadline;
        uint256 sentBlock; // block of MessageSent (ciphertext)
        uint256 replyBlock; // block of MessageReplied (reply ciphertext), 0 if none
        uint8 status;
        bool hidden;
    }

    struct ThreadView {
        uint32 thread;
        address sender; // the visitor who opened it with a paid message
        address recipient; // the handle's owner
        uint256 followUps;
        uint32 closedBelow; // inbox index below which replied messages no longer open it
        uint64 ticket; // newest replied paid message that opens it for follow-ups; 0 = not open
        bool blocked; // the recipient blocked the sender
    }

    /// One page of a conversation, newest first: its paid messages and follow-ups merged by block.
    struct ConversationPage {
        ThreadView thread;
        MessageView[] messages;
        uint32[] followUpIndexes;
        uint32[] followUpBlocks;
        /// Pass back for the next (older) page; both 0 when there is no more.
        uint32 nextMessageCursor;
        uint32 nextFollowUpCursor;
        /// The recipient's inbox keys, id `firstKeyId` first (to read what either side sealed).
        bytes32[] recipientKeys;
        uint32 firstKeyId;
    }

    /// Cursor value that starts a conversation page at the newest entry.
    uint32 public constant NEWEST = type(uint32).max;

    constructor(address feeRecipient_) {
        if (feeRecipient_ == address(0)) revert ZeroAddress();
        _owner = msg.sender;
        _feeRecipient = feeRecipient_;
        _feeBps = uint16(DEFAULT_FEE_BPS);
        emit OwnershipTransferred(address(0), msg.sender);
        emit FeeRecipientChanged(address(0), feeRecipient_);
        emit FeeChanged(0, DEFAULT_FEE_BPS, 0);
    }

    // ================================================================== keys, handles, profile

    /// @notice Add an inbox key (X25519 public key) and make it the current one. Messages sealed
    /// to earlier keys stay readable wherever those keys are kept. Returns the new key id.
    function addInboxKey(bytes32 key) external returns (uint32) {
        return _addKey(msg.sender, key);
    }

    /// @notice Claim `handle` with a price (wei), a reply window (seconds; 0 = 7 days), an inbox
    /// key (0 = keep the current one, when the account already has one) and the sites (origins)
    /// where the owner opens the inbox.
    function claimHandle(bytes32 handle, uint96 price, uint24 window, bytes32 key, bytes calldata sites) external {
        if (!isValidHandle(handle)) revert HandleInvalid(handle);
        address taken = _handleOwner[handle];
        if (taken != address(0)) revert HandleTaken(handle, taken);
        bytes32 current = _handleOf[msg.sender];
        if (current != bytes32(0)) revert AlreadyHasHandle(msg.sender, current);
        uint24 w = _checkWindow(window);
        if (key != bytes32(0)) _addKey(msg.sender, key);
        Account storage a = _accounts[msg.sender];
        if (a.keyCount == 0) revert NoInboxKey(msg.sender);
        a.price = price;
        a.window = w;
        _handleOf[msg.sender] = handle;
        _handleOwner[handle] = msg.sender;
        emit HandleClaimed(msg.sender, handle, price, w);
        _setSites(sites);
    }

    /// @notice Change the price, reply window and follow-up price of the caller's handle.
    /// Messages already sent keep their deadline and fee.
    function updateProfile(uint96 price, uint24 window, uint96 followUpPrice) external {
        bytes32 handle = _handleOf[msg.sender];
        if (handle == bytes32(0)) revert NoHandle(msg.sender);
        uint24 w = _checkWindow(window);
        Account storage a = _accounts[msg.sender];
        a.price = price;
        a.window = w;
        _followUpPrice[msg.sender] = followUpPrice;
        emit ProfileUpdated(msg.sender, handle, price, w, followUpPrice);
    }

    /// @notice Set the sites (origins, separated by spaces) where the caller opens the inbox.
    function setSites(bytes calldata sites) external {
        _setSites(sites);
    }

    /// @notice Give up the caller's handle. Messages already received can still be replied to.
    function releaseHandle() external {
        bytes32 handle = _handleOf[msg.sender];
        if (handle == bytes32(0)) revert NoHandle(msg.sender);
        delete _handleOwner[handle];
        delete _handleOf[msg.sender];
        Account storage a = _accounts[msg.sender];
        a.price = 0;
        a.window = 0;
        emit HandleReleased(msg.sender, handle);
    }

    /// @notice Handles are 3–32 bytes of a-z 0-9 _ -, starting with a letter or digit, stored
    /// left-aligned and zero padded.
    function isValidHandle(bytes32 handle) public pure returns (bool) {
        uint256 len;
        for (uint256 i; i < 32; ++i) {
            uint8 c = uint8(handle[i]);
            if (c == 0) break;
            bool alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
            if (!alnum && (i == 0 || (c != 0x5f && c != 0x2d))) return false;
            len = i + 1;
        }
        if (len < 3) return false;
        // Everything after the first zero byte must be zero too.
        if (len < 32 && (uint256(handle) << (len * 8)) != 0) return false;
        return true;
    }

    // ================================================================== spam controls

    /// @notice Refuse (or accept again) paid messages and follow-ups from `sender` to the caller.
    function setBlocked(address sender, bool blocked) external {
        if (sender == address(0)) revert ZeroAddress();
        bytes32 k = _pairKeyOf(sender, msg.sender);
        uint256 v = _pairKey[k];
        _pairKey[k] = blocked ? v | _PAIR_BLOCKED : v & ~_PAIR_BLOCKED;
        emit BlockChanged(msg.sender, sender, blocked);
    }

    /// @notice Hide (or show again) messages of the caller's inbox. Their coins follow the usual
    /// rules: a hidden message can still be refunded to its sender.
    function setHidden(uint64[] calldata ids, bool hidden) external {
        if (ids.length > MAX_PAGE) revert TooManyIds(ids.length, MAX_PAGE);
        uint32 number = _accounts[msg.sender].number;
        for (uint256 i; i < ids.length; ++i) {
            uint64 id = ids[i];
            if (_messages[id].pair == 0) revert UnknownMessage(id);
            if (number == 0 || uint32(id >> 32) != number) revert NotRecipient(id, msg.sender);
            uint256 bit = uint256(1) << (id & 255);
            if (hidden) _hidden[id >> 8] |= bit;
            else _hidden[id >> 8] &= ~bit;
        }
        emit HiddenChanged(msg.sender, ids, hidden);
    }

    // ================================================================== messages

    /// @notice Send an encrypted message to `to` (who must hold a handle) with `msg.value` at
    /// least their price; more is a tip. Reverts if their window is longer than `maxWindow`, so
    /// a window raised just before the send cannot lock the coins longer than the sender agreed,
    /// and if the envelope is not sealed to their current inbox key.
    function sendMessage(address to, uint256 maxWindow, bytes calldata envelope) external payable returns (uint64 id) {
        _checkEnvelope(envelope);
        if (to == msg.sender) revert SelfMessage();
        if (msg.value > type(uint96).max) revert AmountTooLarge(msg.value);
        Account storage r = _accounts[to];
        Account memory rm = r;
        if (rm.window == 0) revert NoHandle(to);
        if (msg.value < rm.price) revert PriceTooLow(rm.price, msg.value);
        if (rm.window > maxWindow) revert WindowTooLong(rm.window, maxWindow);
        _checkKeyId(to, rm.keyCount, envelope);

        uint32 index = rm.inboxCount;
        r.inboxCount = index + 1; // reverts after 2^32 messages
        (uint32 pairNo, uint32 prev) = _enterPair(to, rm.number, index + 1);
        id = (uint64(rm.number) << 32) | index;
        uint256 deadline = block.timestamp + rm.window;
        _messages[id] = Message({
            pair: pairNo,
            amount: uint96(msg.value),
            sentBlock: uint32(block.number),
            deadline: uint32(deadline),
            replyBlock: 0,
            prevInPair: prev
        });
        emit MessageSent(id, msg.sender, to, pairNo, msg.value, deadline, envelope);
    }

    /// @notice Reply to a message before its deadline; pays its escrow to the caller minus the fee
    /// that was in force when it was sent. Opens its conversation for follow-ups.
    function reply(uint64 id, bytes calldata envelope) external {
        _checkEnvelope(envelope);
        Message storage m = _messages[id];
        Message memory mm = m;
        if (mm.pair == 0) revert UnknownMessage(id);
        if (_addressOf[uint32(id >> 32)] != msg.sender) revert NotRecipient(id, msg.sender);
        if (mm.replyBlock != 0) revert AlreadySettled(id, _settledStatus(mm.replyBlock));
        if (block.timestamp >= mm.deadline) revert ReplyWindowClosed(id, mm.deadline);

        m.replyBlock = uint32(block.number);
        uint256 amount = mm.amount;
        uint256 fee;
        if (amount != 0) {
            fee = (amount * _feeAt(mm.sentBlock)) / 10_000;
            if (fee != 0) _accruedFees += uint128(fee);
        }
        emit MessageReplied(id, _pairs[mm.pair].sender, msg.sender, mm.pair, amount - fee, fee, envelope);
        if (amount != 0) _push(msg.sender, amount - fee);
    }

    /// @notice Return a message's coins to its sender. Anyone may call, at or after the deadline,
    /// once.
    function refund(uint64 id) external {
        Message memory m = _messages[id];
        if (m.pair == 0) revert UnknownMessage(id);
        if (m.replyBlock != 0) revert AlreadySettled(id, _settledStatus(m.replyBlock));
        if (block.timestamp < m.deadline) revert NotYetRefundable(id, m.deadline);
        _refund(id, m);
    }

    /// @notice Refund every message in `ids` that is refundable now; skips the others (already
    /// settled, not yet due, unknown) so that a keeper's batch is not undone by one race.
    /// Reverts with NothingToRefund if none was refundable.
    function refundMany(uint64[] calldata ids) external returns (uint256 refunded) {
        if (ids.length > MAX_PAGE) revert TooManyIds(ids.length, MAX_PAGE);
        for (uint256 i; i < ids.length; ++i) {
            uint64 id = ids[i];
            Message memory m = _messages[id];
            if (m.pair == 0 || m.replyBlock != 0 || block.timestamp < m.deadline) continue;
            _refund(id, m);
            ++refunded;
        }
        if (refunded == 0) revert NothingToRefund();
    }

    // ================================================================== threads

    /// @notice Post a follow-up in a conversation whose creator has replied. `ticket` is a
    /// replied paid message of that conversation (the newest one the caller knows); either party
    /// may post. The visitor pays at least the creator's follow-up price (paid out at once, minus
    /// the fee in force in this block, `feeAt(block.number)`); the creator sends no value. An
    /// envelope from the visitor must be sealed to the creator's current inbox key.
    function postFollowUp(uint64 ticket, bytes calldata envelope) external payable {
        _checkEnvelope(envelope);
        (uint32 t, address creator, address reader) = _openThread(ticket);
        uint256 fee;
        if (reader == creator) {
            if (_pairKey[_pairKeyOf(msg.sender, creator)] & _PAIR_BLOCKED != 0) revert SenderBlocked(creator, msg.sender);
            _checkKeyId(creator, _accounts[creator].keyCount, envelope);
            uint256 price = _followUpPrice[creator];
            if (msg.value < price) revert PriceTooLow(price, msg.value);
            if (msg.value != 0) {
                fee = (msg.value * _feeAt(block.number)) / 10_000;
                if (fee != 0) _accruedFees += uint128(fee);
            }
        } else if (msg.value != 0) {
            revert ValueNotAccepted(msg.value);
        }
        Pair storage p = _pairs[t];
        uint32 index = p.followUps;
        p.followUps = index + 1;
        _followUpBlocks[(uint64(t) << 32) | (index >> 3)] |= uint256(uint32(block.number)) << ((index & 7) * 32);
        emit FollowUpPosted(t, msg.sender, reader, index, msg.value - fee, fee, envelope);
        if (msg.value != 0) _push(creator, msg.value - fee);
    }

    /// @notice Close a conversation for follow-ups; either party may. A reply to a later paid
    /// message opens it again.
    function closeThread(uint32 thread) external {
        Pair memory p = _pairs[thread];
        if (p.sender == address(0)) revert UnknownThread(thread);
        if (msg.sender != p.sender && msg.sender != _addressOf[p.recipientNumber]) revert NotAParty(thread, msg.sender);
        _closedBelow[thread] = _accounts[_addressOf[p.recipientNumber]].inboxCount;
        emit ThreadClosed(thread, msg.sender);
    }

    // ================================================================== payouts

    /// @notice Withdraw the caller's credit (payouts that could not be pushed) to `to`.
    function withdrawCredit(address payable to) external {
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        _credits[msg.sender] = 0;
        _totalCredits -= amount;
        emit CreditWithdrawn(msg.sender, to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    /// @notice Send the accrued protocol fees to the fee recipient. Anyone may call.
    function withdrawFees() external {
        uint256 amount = _accruedFees;
        if (amount == 0) revert NothingToWithdraw();
        _accruedFees = 0;
        address to = _feeRecipient;
        emit FeesWithdrawn(to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    // ================================================================== owner

    /// @notice Set the fee for messages sent from the next block on; messages already sent (and
    /// those sent in this block) keep the fee in force when they were sent.
    function setFee(uint256 bps) external onlyOwner {
        if (bps > MAX_FEE_BPS) revert FeeTooHigh(bps, MAX_FEE_BPS);
        uint32 fromBlock = uint32(block.number + 1);
        uint256 previous = _feeBps;
        // A second change in the same block replaces the first, which never applied to anything.
        if (_feeFromBlock != fromBlock) _feeHistory.push((uint256(_feeFromBlock) << 16) | previous);
        _feeFromBlock = fromBlock;
        _feeBps = uint16(bps);
        emit FeeChanged(previous, bps, fromBlock);
    }

    function setFeeRecipient(address to) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        emit FeeRecipientChanged(_feeRecipient, to);
        _feeRecipient = to;
    }

    /// @notice Start a two-step ownership transfer; `newOwner` must call `acceptOwnership`.
    function transferOwnership(address newOwner) external onlyOwner {
        _pendingOwner = newOwner;
        emit OwnershipTransferStarted(_owner, newOwner);
    }

    function acceptOwnership() external {
        if (msg.sender != _pendingOwner) revert NotOwner(msg.sender);
        emit OwnershipTransferred(_owner, msg.sender);
        _owner = msg.sender;
        _pendingOwner = address(0);
    }

    modifier onlyOwner() {
        if (msg.sender != _owner) revert NotOwner(msg.sender);
        _;
    }

    // ================================================================== views

    function owner() external view returns (address) {
        return _owner;
    }

    function pendingOwner() external view returns (address) {
        return _pendingOwner;
    }

    function feeRecipient() external view returns (address) {
        return _feeRecipient;
    }

    /// @notice The newest fee (basis points): it applies to messages and follow-ups from the block
    /// after the `setFee` that set it (`feeAt` gives the fee of any block).
    function feeBps() external view returns (uint256) {
        return _feeBps;
    }

    /// @notice The fee (basis points) that applies to a message sent in `blockNumber`.
    function feeAt(uint256 blockNumber) external view returns (uint256) {
        return _feeAt(blockNumber);
    }

    function accruedFees() external view returns (uint256) {
        return _accruedFees;
    }

    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    function totalCredits() external view returns (uint256) {
        return _totalCredits;
    }

    function ownerOf(bytes32 handle) external view returns (address) {
        return _handleOwner[handle];
    }

    function profileOf(address account) public view returns (Profile memory p) {
        Account memory a = _accounts[account];
        p.account = account;
        p.handle = _handleOf[account];
        p.price = a.price;
        p.followUpPrice = _followUpPrice[account];
        p.window = a.window;
        p.keyId = a.keyCount;
        if (a.keyCount != 0) p.key = _keys[account][a.keyCount];
        p.inboxCount = a.inboxCount;
    }

    /// @notice Profile of a handle's owner; `account` is zero when nobody holds it.
    function profileOfHandle(bytes32 handle) external view returns (Profile memory p) {
        address account = _handleOwner[handle];
        if (account != address(0)) return profileOf(account);
        p.handle = handle;
    }

    /// @notice Profiles of several addresses in one call (e.g. the parties of many events).
    function profilesOf(address[] calldata accounts) external view returns (Profile[] memory ps) {
        if (accounts.length > MAX_PAGE) revert TooManyIds(accounts.length, MAX_PAGE);
        ps = new Profile[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            ps[i] = profileOf(accounts[i]);
        }
    }

    /// @notice The sites (origins separated by spaces) where `account` opens its inbox.
    function sitesOf(address account) external view returns (bytes memory) {
        return _sites[account];
    }

    /// @notice Inbox key `keyId` of `account` (0 when there is none).
    function inboxKeyOf(address account, uint32 keyId) external view returns (bytes32) {
        return _keys[account][keyId];
    }

    /// @notice The inbox keys of `account`, id `firstId` first: all of them, or the newest MAX_PAGE.
    /// An account without a key gets none and `firstId` 0.
    function inboxKeysOf(address account) public view returns (bytes32[] memory keys, uint32 firstId) {
        uint32 count = _accounts[account].keyCount;
        uint32 n = count > MAX_PAGE ? uint32(MAX_PAGE) : count;
        if (n == 0) return (keys, 0); // no key: nothing, and id 0 (= none, as in profileOf)
        firstId = count - n + 1;
        keys = new bytes32[](n);
        for (uint32 i; i < n; ++i) {
            keys[i] = _keys[account][firstId + i];
        }
    }

    function getMessage(uint64 id) public view returns (MessageView memory v) {
        Message memory m = _messages[id];
        if (m.pair == 0) return v;
        v.id = id;
        v.thread = m.pair;
        v.sender = _pairs[m.pair].sender;
        v.recipient = _addressOf[uint32(id >> 32)];
        v.senderHandle = _handleOf[v.sender];
        v.amount = m.amount;
        v.feeBps = _feeAt(m.sentBlock);
        v.deadline = m.deadline;
        v.sentBlock = m.sentBlock;
        if (m.replyBlock == 0) {
            v.status = block.timestamp < m.deadline ? STATUS_WAITING : STATUS_REFUNDABLE;
        } else {
            v.status = _settledStatus(m.replyBlock);
            if (m.replyBlock != _REFUNDED) v.replyBlock = m.replyBlock;
        }
        v.hidden = (_hidden[id >> 8] >> (id & 255)) & 1 == 1;
    }

    /// @notice An inbox page, newest first. `cursor` is the inbox index to start below
    /// (0 = from the newest); `limit` 0 or above MAX_PAGE means MAX_PAGE. Returns the cursor for
    /// the next page (0 = no more).
    function inboxPage(address account, uint256 cursor, uint256 limit)
        external
        view
        returns (MessageView[] memory page, uint256 nextCursor)
    {
        Account memory a = _accounts[account];
        uint256 count = a.inboxCount;
        uint256 start = cursor == 0 || cursor > count ? count : cursor; // exclusive
        uint256 n = _min(_pageSize(limit), start);
        page = new MessageView[](n);
        uint64 base = uint64(a.number) << 32;
        for (uint256 i; i < n; ++i) {
            page[i] = getMessage(base | uint64(start - 1 - i));
        }
        nextCursor = start - n;
    }

    /// @notice The conversation `sender` → `recipient`: its number (0 = none yet) and whether the
    /// recipient blocks the sender.
    function threadOf(address sender, address recipient) external view returns (uint32 thread, bool blocked) {
        uint256 v = _pairKey[_pairKeyOf(sender, recipient)];
        return (uint32(v), v & _PAIR_BLOCKED != 0);
    }

    /// @notice Facts of a conversation; `thread` 0 when it does not exist.
    function getThread(uint32 thread) public view returns (ThreadView memory v) {
        Pair memory p = _pairs[thread];
        if (p.sender == address(0)) return v;
        v.thread = thread;
        v.sender = p.sender;
        v.recipient = _addressOf[p.recipientNumber];
        v.followUps = p.followUps;
        v.blocked = _pairKey[_pairKeyOf(p.sender, v.recipient)] & _PAIR_BLOCKED != 0;
        v.closedBelow = _closedBelow[thread];
        uint64 base = uint64(p.recipientNumber) << 32;
        // The newest replied message at or above the close mark opens the thread.
        for (uint32 idx = p.last; idx != 0 && idx - 1 >= v.closedBelow;) {
            Message memory m = _messages[base | (idx - 1)];
            if (m.replyBlock != 0 && m.replyBlock != _REFUNDED) {
                v.ticket = base | (idx - 1);
                break;
            }
            idx = m.prevInPair;
        }
    }

    /// @notice A page of a conversation's paid messages, newest first. `cursor` is the inbox index
    /// + 1 to continue from (0 = newest); returns the cursor of the next page (0 = no more).
    function threadMessagesPage(uint32 thread, uint32 cursor, uint256 limit)
        external
        view
        returns (MessageView[] memory page, uint32 nextCursor)
    {
        Pair memory p = _pairs[thread];
        uint64 base = uint64(p.recipientNumber) << 32;
        uint32 idx = cursor == 0 ? p.last : cursor;
        if (p.sender == address(0) || (cursor != 0 && _messages[base | (cursor - 1)].pair != thread)) idx = 0;
        uint256 max = _pageSize(limit);
        page = new MessageView[](max);
        uint256 n;
        while (idx != 0 && n < max) {
            uint64 id = base | (idx - 1);
            page[n++] = getMessage(id);
            idx = _messages[id].prevInPair;
        }
        assembly {
            mstore(page, n)
        }
        nextCursor = idx;
    }

    /// @notice A page of the conversation `sender` → `recipient`, newest first, with the thread's
    /// facts and the recipient's inbox keys: everything a client needs besides the ciphertext logs.
    /// Start with both cursors at NEWEST; each page returns the cursors of the next (both 0 = end).
    /// `messageCursor` is an inbox index + 1, `followUpCursor` the number of follow-ups not yet paged.
    function conversationPage(address sender, address recipient, uint32 messageCursor, uint32 followUpCursor, uint256 limit)
        external
        view
        returns (ConversationPage memory page)
    {
        (page.recipientKeys, page.firstKeyId) = inboxKeysOf(recipient);
        uint32 t = uint32(_pairKey[_pairKeyOf(sender, recipient)]);
        if (t == 0) return page;
        page.thread = getThread(t);
        Pair memory p = _pairs[t];
        uint64 base = uint64(p.recipientNumber) << 32;
        uint32 mi = messageCursor == NEWEST ? p.last : messageCursor;
        if (mi != 0 && _messages[base | (mi - 1)].pair != t) mi = 0; // a cursor from elsewhere ends paging
        uint32 fi = followUpCursor > p.followUps ? p.followUps : followUpCursor;
        uint256 max = _pageSize(limit);
        page.messages = new MessageView[](max);
        page.followUpIndexes = new uint32[](max);
        page.followUpBlocks = new uint32[](max);
        uint256 nm;
        uint256 nf;
        while (nm + nf < max && (mi != 0 || fi != 0)) {
            uint32 fBlock = fi == 0 ? 0 : _followUpBlock(t, fi - 1);
            Message memory m;
            if (mi != 0) m = _messages[base | (mi - 1)];
            if (mi != 0 && (fi == 0 || m.sentBlock > fBlock)) {
                page.messages[nm++] = getMessage(base | (mi - 1));
                mi = m.prevInPair;
            } else {
                page.followUpIndexes[nf] = fi - 1;
                page.followUpBlocks[nf++] = fBlock;
                --fi;
            }
        }
        MessageView[] memory ms = page.messages;
        uint32[] memory fx = page.followUpIndexes;
        uint32[] memory fb = page.followUpBlocks;
        assembly {
            mstore(ms, nm)
            mstore(fx, nf)
            mstore(fb, nf)
        }
        page.nextMessageCursor = mi;
        page.nextFollowUpCursor = fi;
    }

    /// @notice Blocks of a conversation's follow-ups `from` .. `from + count - 1` (oldest first),
    /// for reading their ciphertexts from `FollowUpPosted` logs.
    function followUpBlocks(uint32 thread, uint256 from, uint256 count) external view returns (uint32[] memory blocks) {
        uint256 total = _pairs[thread].followUps;
        if (from >= total) return new uint32[](0);
        uint256 n = _min(_min(count, total - from), MAX_PAGE);
        blocks = new uint32[](n);
        for (uint256 i; i < n; ++i) {
            blocks[i] = _followUpBlock(thread, uint32(from + i));
        }
    }

    // ================================================================== internals

    function _addKey(address account, bytes32 key) private returns (uint32 keyId) {
        if (key == bytes32(0)) revert KeyInvalid();
        Account storage a = _accounts[account];
        if (a.number == 0) {
            uint32 n = ++_accountCount;
            a.number = n;
            _addressOf[n] = account;
        }
        keyId = a.keyCount + 1;
        a.keyCount = keyId;
        _keys[account][keyId] = key;
        emit InboxKeyAdded(account, keyId, key);
    }

    /// The conversation msg.sender → `to` (created on its first message), refusing a blocked
    /// sender; records `last` (inbox index + 1) as its newest paid message and returns the previous.
    function _enterPair(address to, uint32 recipientNumber, uint32 last) private returns (uint32 pairNo, uint32 prev) {
        bytes32 k = _pairKeyOf(msg.sender, to);
        uint256 v = _pairKey[k];
        if (v & _PAIR_BLOCKED != 0) revert SenderBlocked(to, msg.sender);
        pairNo = uint32(v);
        if (pairNo == 0) {
            pairNo = ++_pairCount;
            _pairKey[k] = v | pairNo;
            _pairs[pairNo] = Pair({sender: msg.sender, recipientNumber: recipientNumber, last: last, followUps: 0});
        } else {
            Pair storage p = _pairs[pairNo];
            prev = p.last;
            p.last = last;
        }
    }

    function _followUpBlock(uint32 thread, uint32 index) private view returns (uint32) {
        return uint32(_followUpBlocks[(uint64(thread) << 32) | (index >> 3)] >> ((index & 7) * 32));
    }

    /// The thread that `ticket` opens for msg.sender: its number, its creator and the other party.
    function _openThread(uint64 ticket) private view returns (uint32 t, address creator, address reader) {
        Message memory m = _messages[ticket];
        t = m.pair;
        if (t == 0) revert UnknownMessage(ticket);
        Pair memory p = _pairs[t];
        creator = _addressOf[p.recipientNumber];
        if (msg.sender == p.sender) reader = creator;
        else if (msg.sender == creator) reader = p.sender;
        else revert NotAParty(t, msg.sender);
        if (m.replyBlock == 0 || m.replyBlock == _REFUNDED || uint32(ticket) < _closedBelow[t]) revert ThreadNotOpen(t, ticket);
    }

    function _setSites(bytes calldata sites) private {
        if (sites.length > MAX_SITES_BYTES) revert SitesTooLong(sites.length, MAX_SITES_BYTES);
        _sites[msg.sender] = sites;
        emit SitesUpdated(msg.sender, sites);
    }

    function _checkEnvelope(bytes calldata envelope) private pure {
        if (envelope.length < MIN_ENVELOPE_BYTES || envelope.length > MAX_ENVELOPE_BYTES) {
            revert EnvelopeSize(envelope.length, MIN_ENVELOPE_BYTES, MAX_ENVELOPE_BYTES);
        }
    }

    /// An envelope for `account` names its current inbox key in bytes 2..5.
    function _checkKeyId(address account, uint32 current, bytes calldata envelope) private pure {
        if (current == 0) revert NoInboxKey(account);
        uint32 given = uint32(bytes4(envelope[2:6]));
        if (given != current) revert StaleInboxKey(account, current, given);
    }

    function _refund(uint64 id, Message memory m) private {
        _messages[id].replyBlock = _REFUNDED;
        address sender = _pairs[m.pair].sender;
        uint256 amount = m.amount;
        emit MessageRefunded(id, sender, _addressOf[uint32(id >> 32)], amount);
        if (amount != 0) _push(sender, amount);
    }

    /// Push `amount` with bounded gas and without copying return data; on failure keep it as a
    /// credit the account withdraws itself. Effects are done before this is called.
    function _push(address to, uint256 amount) private {
        // The receiver always gets its full PUSH_GAS, whatever gas limit the caller chose (the CALL's
        // own cost is paid first, then at most 63/64 of the rest is forwarded): a caller, or a gas
        // estimate, cannot starve the call to force a payout onto the credit path.
        uint256 needed = (PUSH_GAS * 64) / 63 + _CALL_COST;
        uint256 left = gasleft();
        if (left < needed) revert InsufficientGas(left, needed);
        bool ok;
        uint256 g = PUSH_GAS;
        assembly {
            ok := call(g, to, amount, 0, 0, 0, 0)
        }
        if (!ok) {
            _credits[to] += amount;
            _totalCredits += amount;
            emit PaymentDeferred(to, amount);
        }
    }

    function _feeAt(uint256 blockNumber) private view returns (uint256) {
        if (blockNumber >= _feeFromBlock) return _feeBps;
        for (uint256 i = _feeHistory.length; i > 0;) {
            uint256 entry = _feeHistory[--i];
            if (entry >> 16 <= blockNumber) return entry & 0xffff;
        }
        return DEFAULT_FEE_BPS; // unreachable: the first entry is from block 0
    }

    function _pairKeyOf(address sender, address recipient) private pure returns (bytes32 k) {
        assembly {
            mstore(0x00, sender)
            mstore(0x20, recipient)
            k := keccak256(0x00, 0x40)
        }
    }

    function _checkWindow(uint24 window) private pure returns (uint24) {
        if (window == 0) return uint24(DEFAULT_WINDOW);
        if (window < MIN_WINDOW || window > MAX_WINDOW) revert WindowOutOfRange(window, MIN_WINDOW, MAX_WINDOW);
        return window;
    }

    function _settledStatus(uint32 replyBlock) private pure returns (uint8) {
        return replyBlock == _REFUNDED ? STATUS_REFUNDED : STATUS_REPLIED;
    }

    function _pageSize(uint256 limit) private pure returns (uint256) {
        return limit == 0 || limit > MAX_PAGE ? MAX_PAGE : limit;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
