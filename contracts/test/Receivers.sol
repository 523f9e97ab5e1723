// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// A participant (sender or creator) that acts on PaidChat through `exec`, and whose behaviour on
/// receiving coins is chosen by a mode:
///   0 accept (and count what it received), 1 revert, 2 burn all gas,
///   3 re-enter PaidChat with `reentryData` (then accept), 4 burn `burnGas` gas (then accept),
///   reverting at once if it has less than that.
contract Participant {
    address public immutable chat;
    uint8 public mode;
    uint64 public burnGas;
    bool public reentryOk;
    uint256 public received;
    bytes public reentryData;

    constructor(address chat_) {
        chat = chat_;
    }

    function setMode(uint8 mode_, uint64 burnGas_, bytes calldata data) external {
        mode = mode_;
        burnGas = burnGas_;
        reentryData = data;
    }

    /// Calls PaidChat with `data` and `msg.value`, bubbling its revert data up unchanged.
    function exec(bytes calldata data) external payable returns (bytes memory ret) {
        bool ok;
        (ok, ret) = chat.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    receive() external payable {
        uint8 m = mode;
        if (m == 1) revert("no thanks");
        if (m == 2) {
            while (true) {}
        }
        if (m == 4) {
            // Fails cheaply when given less than it needs (most of the gas goes back to the
            // payer): the receiver a gas estimate could starve onto the credit path.
            uint256 burn = burnGas;
            if (gasleft() < burn) revert("starved");
            uint256 start = gasleft();
            while (start - gasleft() < burn) {}
            return;
        }
        if (m == 3) {
            (bool ok,) = chat.call(reentryData);
            reentryOk = ok;
        }
        received += msg.value;
    }
}

interface IPaidChatLens {
    struct MessageView {
        uint64 id;
        uint32 thread;
        address sender;
        address recipient;
        bytes32 senderHandle;
        uint256 amount;
        uint256 feeBps;
        uint256 deadline;
        uint256 sentBlock;
        uint256 replyBlock;
        uint8 status;
        bool hidden;
    }

    function creditOf(address account) external view returns (uint256);
    function totalCredits() external view returns (uint256);
    function accruedFees() external view returns (uint256);
    function feeBps() external view returns (uint256);
    function getMessage(uint64 id) external view returns (MessageView memory);
}

/// Reads, in one eth_call, what the property test compares with its model after every step.
contract Lens {
    /// Returns, in order: the balance of each of `accounts`, the credit of each of `creditors`,
    /// totalCredits, accruedFees, feeBps, then for each of `ids` its
    /// `status | hidden << 8 | replyBlock << 16` (replyBlock 0 for open or refunded messages).
    function look(IPaidChatLens chat, address[] calldata accounts, address[] calldata creditors, uint64[] calldata ids)
        external
        view
        returns (uint256[] memory out)
    {
        out = new uint256[](accounts.length + creditors.length + 3 + ids.length);
        uint256 k;
        for (uint256 i; i < accounts.length; ++i) out[k++] = accounts[i].balance;
        for (uint256 i; i < creditors.length; ++i) out[k++] = chat.creditOf(creditors[i]);
        out[k++] = chat.totalCredits();
        out[k++] = chat.accruedFees();
        out[k++] = chat.feeBps();
        for (uint256 i; i < ids.length; ++i) {
            IPaidChatLens.MessageView memory v = chat.getMessage(ids[i]);
            out[k++] = uint256(v.status) | (v.hidden ? 1 << 8 : 0) | (v.replyBlock << 16) | (v.feeBps << 48);
        }
    }
}
