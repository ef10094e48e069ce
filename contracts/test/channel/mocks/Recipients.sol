// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A recipient whose receive() reverts while `blocked` is set.
contract RevertingRecipient {
    error Refused();

    bool public blocked = true;

    function setBlocked(bool blocked_) external {
        blocked = blocked_;
    }

    receive() external payable {
        if (blocked) revert Refused();
    }
}

/// @notice Calls `target` with `payload` once, from inside a payment it receives, and records
/// how the call ended. With `bubble` set it rethrows the failure, failing the payment.
abstract contract ReentrancyAttacker {
    address public target;
    bytes public payload;
    bool public bubble;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    function arm(address target_, bytes calldata payload_, bool bubble_) external {
        target = target_;
        payload = payload_;
        bubble = bubble_;
        attempted = false;
    }

    function _attack() internal {
        if (target == address(0) || attempted) return;
        attempted = true;
        (bool ok, bytes memory data) = target.call(payload);
        reentrySucceeded = ok;
        reentryRevertData = data;
        if (!ok && bubble) {
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
    }
}

/// @notice An ETH recipient whose receive() re-enters the channel.
contract ReentrantRecipient is ReentrancyAttacker {
    receive() external payable {
        _attack();
    }
}
