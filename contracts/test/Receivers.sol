// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IPaidChat {
    function registerKey(bytes32 keyX, uint8 keyPrefix) external;
    function claimHandle(bytes32 handle, uint96 price, uint24 window, bytes32 keyX, uint8 keyPrefix) external;
    function sendMessage(address to, uint256 maxWindow, bytes calldata envelope) external payable returns (uint64);
    function reply(uint64 id, bytes calldata envelope) external;
    function refund(uint64 id) external;
    function withdrawCredit(address payable to) external;
}

/// A participant (sender or recipient) whose behaviour on receiving coins is chosen by a mode:
/// 0 accept, 1 revert, 2 burn all gas, 3 re-enter the contract with `reentryData`.
contract Participant {
    IPaidChat public immutable chat;
    uint8 public mode;
    bytes public reentryData;
    bool public reentryOk;
    uint256 public received;

    constructor(IPaidChat chat_) {
        chat = chat_;
    }

    function setMode(uint8 mode_, bytes calldata data) external {
        mode = mode_;
        reentryData = data;
    }

    function registerKey(bytes32 keyX, uint8 keyPrefix) external {
        chat.registerKey(keyX, keyPrefix);
    }

    function claimHandle(bytes32 handle, uint96 price, uint24 window, bytes32 keyX, uint8 keyPrefix) external {
        chat.claimHandle(handle, price, window, keyX, keyPrefix);
    }

    function send(address to, uint256 maxWindow, bytes calldata envelope) external payable returns (uint64) {
        return chat.sendMessage{value: msg.value}(to, maxWindow, envelope);
    }

    function reply(uint64 id, bytes calldata envelope) external {
        chat.reply(id, envelope);
    }

    function withdrawCredit(address payable to) external {
        chat.withdrawCredit(to);
    }

    receive() external payable {
        if (mode == 1) revert("no thanks");
        if (mode == 2) {
            while (true) {}
        }
        if (mode == 3) {
            (bool ok,) = address(chat).call(reentryData);
            reentryOk = ok;
        }
        received += msg.value;
    }
}
