// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PaidChat — paid, end-to-end encrypted messages with escrow (protocol version 1)
/// @notice A creator claims a handle with a price and a reply window. A visitor sends an encrypted
/// message with at least that price; the coins sit here. A reply before the deadline pays the
/// creator (minus a protocol fee); otherwise anyone may refund the sender at or after the deadline.
/// @dev Built for Harmony: Istanbul EVM (no PUSH0, no transient storage), legacy transactions.
/// Ciphertexts live only in event data (`MessageSent.envelope`, `MessageReplied.envelope`); storage
/// keeps the escrow and the index needed to page an inbox or outbox without an indexer.
///
/// Message ids are `accountNumber(recipient) << 32 | inboxIndex`, so an inbox is a contiguous
/// range and needs no list pointers; an outbox is a linked list through `prevOut`.
contract PaidChat {
    // ------------------------------------------------------------------ constants
    uint256 public constant PROTOCOL_VERSION = 1;
    uint256 public constant MAX_FEE_BPS = 500; // 5 %, hard cap
    uint256 public constant MIN_WINDOW = 1 hours;
    uint256 public constant MAX_WINDOW = 30 days;
    uint256 public constant DEFAULT_WINDOW = 7 days;
    uint256 public constant MAX_ENVELOPE_BYTES = 320;
    uint256 public constant MAX_PAGE = 100;
    /// Gas forwarded when pushing a payout. Enough for a contract wallet's receive hook; a
    /// receiver that reverts or burns it gets a withdrawable credit instead.
    uint256 public constant PUSH_GAS = 40_000;

    uint8 public constant STATUS_NONE = 0;
    uint8 public constant STATUS_WAITING = 1;
    uint8 public constant STATUS_REFUNDABLE = 2;
    uint8 public constant STATUS_REPLIED = 3;
    uint8 public constant STATUS_REFUNDED = 4;

    // ------------------------------------------------------------------ storage
    struct Account {
        bytes32 keyX; // messaging public key, x coordinate (compressed secp256k1 without prefix)
        bytes32 handle; // left-aligned ASCII, zero padded; 0 = no handle
        uint96 price; // wei
        uint24 window; // seconds
        uint32 number; // account number, 0 = never registered
        uint32 inboxCount;
        uint8 keyPrefix; // 2 or 3; 0 = no key
        uint64 lastOut; // newest message id this account sent; 0 = none
    }

    /// Slot 0 of a message: written once at send, plus `replyBlock` on reply.
    struct Message {
        uint32 senderNumber;
        uint96 amount; // wei paid (held while open)
        uint32 sentBlock;
        uint32 replyBlock; // 0 unless replied
        uint64 prevOut; // sender's previous message id (outbox list); 0 = none
    }

    mapping(address => Account) private _accounts;
    mapping(uint32 => address) private _addressOf;
    mapping(bytes32 => address) private _handleOwner;
    mapping(uint64 => Message) private _messages;
    /// Slot 1 of a message: its deadline while open; cleared on settlement (gas refund).
    mapping(uint64 => uint256) private _openDeadline;
    mapping(address => uint256) private _credits;

    uint32 private _accountCount;
    uint16 private _feeBps;
    uint128 private _accruedFees;
    address private _owner;
    address private _pendingOwner;
    address private _feeRecipient;
    uint256 private _totalCredits;

    // ------------------------------------------------------------------ events
    event KeyRegistered(address indexed account, bytes32 keyX, uint8 keyPrefix);
    event HandleClaimed(address indexed account, bytes32 indexed handle, uint256 price, uint256 window);
    event ProfileUpdated(address indexed account, bytes32 indexed handle, uint256 price, uint256 window);
    event HandleReleased(address indexed account, bytes32 indexed handle);
    event MessageSent(
        uint64 indexed id,
        address indexed sender,
        address indexed recipient,
        uint256 amount,
        uint256 deadline,
        bytes envelope
    );
    event MessageReplied(
        uint64 indexed id, address indexed sender, address indexed recipient, uint256 payout, uint256 fee, bytes envelope
    );
    event MessageRefunded(uint64 indexed id, address indexed sender, address indexed recipient, uint256 amount);
    event PaymentDeferred(address indexed account, uint256 amount);
    event CreditWithdrawn(address indexed account, address indexed to, uint256 amount);
    event FeeChanged(uint256 previousBps, uint256 newBps);
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
    error NoMessagingKey(address account);
    error SelfMessage();
    error PriceTooLow(uint256 required, uint256 sent);
    error WindowTooLong(uint256 window, uint256 maxWindow);
    error EnvelopeSize(uint256 size, uint256 max);
    error AmountTooLarge(uint256 amount);
    error UnknownMessage(uint64 id);
    error NotRecipient(uint64 id, address caller);
    error ReplyWindowClosed(uint64 id, uint256 deadline);
    error NotYetRefundable(uint64 id, uint256 deadline);
    error AlreadySettled(uint64 id, uint8 status);
    error NothingToRefund();
    error TooManyIds(uint256 count, uint256 max);
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
        uint256 window;
        bytes32 keyX;
        uint8 keyPrefix;
        uint256 inboxCount;
        uint64 lastOut;
    }

    struct MessageView {
        uint64 id;
        address sender;
        address recipient;
        uint256 amount;
        uint256 deadline; // 0 once settled (read it from MessageSent)
        uint256 sentBlock; // block of MessageSent (ciphertext)
        uint256 replyBlock; // block of MessageReplied (reply ciphertext), 0 if none
        uint8 status;
    }

    constructor(address feeRecipient_) {
        if (feeRecipient_ == address(0)) revert ZeroAddress();
        _owner = msg.sender;
        _feeRecipient = feeRecipient_;
        _feeBps = 100;
        emit OwnershipTransferred(address(0), msg.sender);
        emit FeeRecipientChanged(address(0), feeRecipient_);
        emit FeeChanged(0, 100);
    }

    // ================================================================== keys & handles

    /// @notice Register or rotate the caller's messaging public key (compressed secp256k1).
    function registerKey(bytes32 keyX, uint8 keyPrefix) external {
        _setKey(msg.sender, keyX, keyPrefix);
    }

    /// @notice Claim `handle` with a price (wei) and a reply window (seconds; 0 = 7 days), and
    /// register the caller's messaging key in the same transaction.
    function claimHandle(bytes32 handle, uint96 price, uint24 window, bytes32 keyX, uint8 keyPrefix) external {
        if (!isValidHandle(handle)) revert HandleInvalid(handle);
        address taken = _handleOwner[handle];
        if (taken != address(0)) revert HandleTaken(handle, taken);
        Account storage a = _accounts[msg.sender];
        if (a.handle != bytes32(0)) revert AlreadyHasHandle(msg.sender, a.handle);
        uint24 w = _checkWindow(window);
        _setKey(msg.sender, keyX, keyPrefix);
        a.handle = handle;
        a.price = price;
        a.window = w;
        _handleOwner[handle] = msg.sender;
        emit HandleClaimed(msg.sender, handle, price, w);
    }

    /// @notice Change the price and reply window of the caller's handle. Messages already sent keep
    /// the deadline fixed when they were sent.
    function updateProfile(uint96 price, uint24 window) external {
        Account storage a = _accounts[msg.sender];
        bytes32 handle = a.handle;
        if (handle == bytes32(0)) revert NoHandle(msg.sender);
        uint24 w = _checkWindow(window);
        a.price = price;
        a.window = w;
        emit ProfileUpdated(msg.sender, handle, price, w);
    }

    /// @notice Give up the caller's handle. Messages already received can still be replied to.
    function releaseHandle() external {
        Account storage a = _accounts[msg.sender];
        bytes32 handle = a.handle;
        if (handle == bytes32(0)) revert NoHandle(msg.sender);
        delete _handleOwner[handle];
        a.handle = bytes32(0);
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

    // ================================================================== messages

    /// @notice Send an encrypted message to `to` (who must hold a handle) with `msg.value` at
    /// least their price; more is a tip. Reverts if their window is longer than `maxWindow`, so
    /// a window raised just before the send cannot lock the coins longer than the sender agreed.
    function sendMessage(address to, uint256 maxWindow, bytes calldata envelope) external payable returns (uint64) {
        return _send(to, maxWindow, envelope);
    }

    /// @notice `registerKey` and `sendMessage` in one transaction, for a first-time sender.
    function registerKeyAndSend(bytes32 keyX, uint8 keyPrefix, address to, uint256 maxWindow, bytes calldata envelope)
        external
        payable
        returns (uint64)
    {
        _setKey(msg.sender, keyX, keyPrefix);
        return _send(to, maxWindow, envelope);
    }

    /// @notice Reply to a message before its deadline; pays its escrow to the caller minus the fee.
    function reply(uint64 id, bytes calldata envelope) external {
        if (envelope.length == 0 || envelope.length > MAX_ENVELOPE_BYTES) {
            revert EnvelopeSize(envelope.length, MAX_ENVELOPE_BYTES);
        }
        Message storage m = _messages[id];
        uint32 senderNumber = m.senderNumber;
        if (senderNumber == 0) revert UnknownMessage(id);
        if (_accounts[msg.sender].number != uint32(id >> 32)) revert NotRecipient(id, msg.sender);
        uint256 deadline = _openDeadline[id];
        if (deadline == 0) revert AlreadySettled(id, _statusOf(m));
        if (block.timestamp >= deadline) revert ReplyWindowClosed(id, deadline);

        uint256 amount = m.amount;
        m.replyBlock = uint32(block.number);
        delete _openDeadline[id];
        uint256 fee;
        if (amount != 0) {
            fee = (amount * _feeBps) / 10_000;
            _accruedFees += uint128(fee);
        }
        emit MessageReplied(id, _addressOf[senderNumber], msg.sender, amount - fee, fee, envelope);
        if (amount != 0) _push(msg.sender, amount - fee);
    }

    /// @notice Return a message's coins to its sender. Anyone may call, at or after the deadline,
    /// once.
    function refund(uint64 id) external {
        Message memory m = _messages[id];
        if (m.senderNumber == 0) revert UnknownMessage(id);
        uint256 deadline = _openDeadline[id];
        if (deadline == 0) revert AlreadySettled(id, _statusOf(m));
        if (block.timestamp < deadline) revert NotYetRefundable(id, deadline);
        _refund(id, m);
    }

    /// @notice Refund every message in `ids` that is refundable now; skips the others (already
    /// settled, not yet due, unknown) so that a keeper's batch is not undone by one race.
    /// Reverts with NothingToRefund if none was refundable.
    function refundMany(uint64[] calldata ids) external returns (uint256 refunded) {
        if (ids.length > MAX_PAGE) revert TooManyIds(ids.length, MAX_PAGE);
        for (uint256 i; i < ids.length; ++i) {
            uint64 id = ids[i];
            uint256 deadline = _openDeadline[id]; // non-zero only for an open message
            if (deadline == 0 || block.timestamp < deadline) continue;
            Message memory m = _messages[id];
            _refund(id, m);
            ++refunded;
        }
        if (refunded == 0) revert NothingToRefund();
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

    function setFee(uint256 bps) external onlyOwner {
        if (bps > MAX_FEE_BPS) revert FeeTooHigh(bps, MAX_FEE_BPS);
        emit FeeChanged(_feeBps, bps);
        _feeBps = uint16(bps);
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

    function feeBps() external view returns (uint256) {
        return _feeBps;
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
        Account storage a = _accounts[account];
        p.account = account;
        p.handle = a.handle;
        p.price = a.price;
        p.window = a.window;
        p.keyX = a.keyX;
        p.keyPrefix = a.keyPrefix;
        p.inboxCount = a.inboxCount;
        p.lastOut = a.lastOut;
    }

    /// @notice Profile of a handle's owner; `account` is zero when nobody holds it.
    function profileOfHandle(bytes32 handle) external view returns (Profile memory p) {
        address account = _handleOwner[handle];
        if (account != address(0)) return profileOf(account);
        p.handle = handle;
    }

    /// @notice Profiles of several addresses in one call (senders in an inbox page).
    function profilesOf(address[] calldata accounts) external view returns (Profile[] memory ps) {
        if (accounts.length > MAX_PAGE) revert TooManyIds(accounts.length, MAX_PAGE);
        ps = new Profile[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            ps[i] = profileOf(accounts[i]);
        }
    }

    function getMessage(uint64 id) public view returns (MessageView memory v) {
        Message memory m = _messages[id];
        if (m.senderNumber == 0) return v;
        v.id = id;
        v.sender = _addressOf[m.senderNumber];
        v.recipient = _addressOf[uint32(id >> 32)];
        v.amount = m.amount;
        v.sentBlock = m.sentBlock;
        v.replyBlock = m.replyBlock;
        uint256 deadline = _openDeadline[id];
        v.deadline = deadline;
        if (deadline != 0) v.status = block.timestamp < deadline ? STATUS_WAITING : STATUS_REFUNDABLE;
        else v.status = _statusOf(m);
    }

    /// @notice An inbox page, newest first. `cursor` is the inbox index to start below
    /// (0 = from the newest); `limit` 0 or above MAX_PAGE means MAX_PAGE. Returns the cursor for
    /// the next page (0 = no more).
    function inboxPage(address account, uint256 cursor, uint256 limit)
        external
        view
        returns (MessageView[] memory page, uint256 nextCursor)
    {
        Account storage a = _accounts[account];
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

    /// @notice An outbox page, newest first. `cursor` is the id to continue from (0 = newest);
    /// `limit` 0 or above MAX_PAGE means MAX_PAGE. Returns the id that starts the next page
    /// (0 = no more, also for a cursor that is not in this outbox).
    function outboxPage(address account, uint64 cursor, uint256 limit)
        external
        view
        returns (MessageView[] memory page, uint64 nextCursor)
    {
        uint64 id = cursor == 0 ? _accounts[account].lastOut : cursor;
        uint256 max = _pageSize(limit);
        MessageView[] memory buf = new MessageView[](max);
        uint256 n;
        while (id != 0 && n < max) {
            Message storage m = _messages[id];
            if (_addressOf[m.senderNumber] != account) {
                id = 0; // a cursor that is not in this outbox: nothing more to page
                break;
            }
            buf[n++] = getMessage(id);
            id = m.prevOut;
        }
        assembly {
            mstore(buf, n)
        }
        return (buf, id);
    }

    // ================================================================== internals

    function _send(address to, uint256 maxWindow, bytes calldata envelope) private returns (uint64 id) {
        if (envelope.length == 0 || envelope.length > MAX_ENVELOPE_BYTES) {
            revert EnvelopeSize(envelope.length, MAX_ENVELOPE_BYTES);
        }
        if (to == msg.sender) revert SelfMessage();
        if (msg.value > type(uint96).max) revert AmountTooLarge(msg.value);
        Account storage r = _accounts[to];
        if (r.handle == bytes32(0)) revert NoHandle(to);
        if (msg.value < r.price) revert PriceTooLow(r.price, msg.value);
        uint256 window = r.window;
        if (window > maxWindow) revert WindowTooLong(window, maxWindow);
        Account storage s = _accounts[msg.sender];
        if (s.keyPrefix == 0) revert NoMessagingKey(msg.sender);

        uint32 index = r.inboxCount;
        r.inboxCount = index + 1; // overflows (reverts) after 2^32 messages
        id = (uint64(r.number) << 32) | index;
        _messages[id] = Message({
            senderNumber: s.number,
            amount: uint96(msg.value),
            sentBlock: uint32(block.number),
            replyBlock: 0,
            prevOut: s.lastOut
        });
        s.lastOut = id;
        uint256 deadline = block.timestamp + window;
        _openDeadline[id] = deadline;
        emit MessageSent(id, msg.sender, to, msg.value, deadline, envelope);
    }

    function _refund(uint64 id, Message memory m) private {
        delete _openDeadline[id];
        address sender = _addressOf[m.senderNumber];
        uint256 amount = m.amount;
        emit MessageRefunded(id, sender, _addressOf[uint32(id >> 32)], amount);
        if (amount != 0) _push(sender, amount);
    }

    /// Push `amount` with bounded gas and without copying return data; on failure keep it as a
    /// credit the account withdraws itself. Effects are done before this is called.
    function _push(address to, uint256 amount) private {
        // The receiver always gets its full PUSH_GAS: a caller cannot starve the call (63/64
        // rule) to force a payout onto the credit path.
        uint256 needed = PUSH_GAS + PUSH_GAS / 63 + 2_000;
        if (gasleft() < needed) revert InsufficientGas(gasleft(), needed);
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

    function _setKey(address account, bytes32 keyX, uint8 keyPrefix) private {
        if (keyX == bytes32(0) || (keyPrefix != 2 && keyPrefix != 3)) revert KeyInvalid();
        Account storage a = _accounts[account];
        if (a.number == 0) {
            uint32 n = ++_accountCount;
            a.number = n;
            _addressOf[n] = account;
        }
        a.keyX = keyX;
        a.keyPrefix = keyPrefix;
        emit KeyRegistered(account, keyX, keyPrefix);
    }

    function _checkWindow(uint24 window) private pure returns (uint24) {
        if (window == 0) return uint24(DEFAULT_WINDOW);
        if (window < MIN_WINDOW || window > MAX_WINDOW) revert WindowOutOfRange(window, MIN_WINDOW, MAX_WINDOW);
        return window;
    }

    /// Status of a message whose deadline slot is cleared (settled).
    function _statusOf(Message memory m) private pure returns (uint8) {
        return m.replyBlock != 0 ? STATUS_REPLIED : STATUS_REFUNDED;
    }

    function _pageSize(uint256 limit) private pure returns (uint256) {
        return limit == 0 || limit > MAX_PAGE ? MAX_PAGE : limit;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
