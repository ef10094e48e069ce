// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICMCWithdraw} from "../interfaces/ICMCWithdraw.sol";
import {WithdrawData} from "../interfaces/Types.sol";
import {ChannelHashing} from "../lib/ChannelHashing.sol";
import {CMCAsset} from "./CMCAsset.sol";

/// @title CMCWithdraw
/// @notice Pays out doubly-signed withdrawal commitments, each at most once.
abstract contract CMCWithdraw is CMCAsset, ICMCWithdraw {
    mapping(bytes32 commitment => bool) internal _executedWithdrawals;

    /// @inheritdoc ICMCWithdraw
    function withdraw(WithdrawData calldata wd, bytes calldata aliceSignature, bytes calldata bobSignature)
        external
        onlyViaProxy
        nonReentrant
    {
        if (wd.channelAddress != address(this)) revert WrongChannel(address(this), wd.channelAddress);
        bytes32 commitment = _hashTypedDataV4(ChannelHashing.hashWithdrawData(wd));
        if (_executedWithdrawals[commitment]) revert WithdrawalAlreadyExecuted(commitment);
        _requireDigestSignature(commitment, aliceSignature, _alice);
        _requireDigestSignature(commitment, bobSignature, _bob);

        _executedWithdrawals[commitment] = true;
        _transferAsset(wd.assetId, wd.recipient, wd.amount);
        emit Withdrawn(commitment, wd.assetId, wd.recipient, wd.amount);
    }

    /// @inheritdoc ICMCWithdraw
    function withdrawDigest(WithdrawData calldata wd) external view returns (bytes32) {
        return _hashTypedDataV4(ChannelHashing.hashWithdrawData(wd));
    }

    /// @inheritdoc ICMCWithdraw
    function isWithdrawalExecuted(bytes32 commitment) external view returns (bool) {
        return _executedWithdrawals[commitment];
    }
}
