// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICMCAsset} from "../interfaces/ICMCAsset.sol";
import {Balance} from "../interfaces/Types.sol";
import {LibAsset} from "../lib/LibAsset.sol";
import {CMCCore} from "./CMCCore.sol";

/// @title CMCAsset
/// @notice Pays assets out of the channel and keeps what defunds made exitable.
abstract contract CMCAsset is CMCCore, ICMCAsset {
    mapping(address assetId => uint256) internal _totalTransferred;
    mapping(address assetId => mapping(address owner => uint256)) internal _exitable;

    /// @inheritdoc ICMCAsset
    function getTotalTransferred(address assetId) external view returns (uint256) {
        return _totalTransferred[assetId];
    }

    /// @inheritdoc ICMCAsset
    function getExitableAmount(address assetId, address owner) external view returns (uint256) {
        return _exitable[assetId][owner];
    }

    /// @inheritdoc ICMCAsset
    function exit(address assetId, address owner, address payable recipient) external onlyViaProxy nonReentrant {
        if (msg.sender != owner && recipient != owner) revert UnauthorizedExit(msg.sender, owner);
        uint256 amount = _exitable[assetId][owner];
        if (amount == 0) revert NothingToExit(assetId, owner);
        _exitable[assetId][owner] = 0;
        _transferAsset(assetId, recipient, amount);
        emit Exited(assetId, owner, recipient, amount);
    }

    /// @dev Records the payment before making it (checks-effects-interactions); a failed
    /// payment reverts the whole call.
    function _transferAsset(address assetId, address payable recipient, uint256 amount) internal {
        if (recipient == address(this)) revert InvalidRecipient(recipient);
        _totalTransferred[assetId] += amount;
        LibAsset.transfer(assetId, recipient, amount);
    }

    function _makeBalanceExitable(address assetId, Balance memory balance) internal {
        for (uint256 i; i < 2; ++i) {
            uint256 amount = balance.amount[i];
            if (amount == 0) continue;
            address owner = balance.to[i];
            _exitable[assetId][owner] += amount;
            emit Exitable(assetId, owner, amount);
        }
    }
}
