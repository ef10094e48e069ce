// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {WithdrawData} from "./Types.sol";

/// @title ICMCWithdraw
/// @notice Pays out withdrawal commitments that both parties signed, each once.
interface ICMCWithdraw {
    /// @notice Emitted when a commitment is paid out.
    event Withdrawn(bytes32 indexed commitment, address indexed assetId, address recipient, uint256 amount);

    /// @notice Pays `wd.amount` of `wd.assetId` to `wd.recipient` if both parties signed the
    /// commitment's EIP-712 digest and it was never paid before.
    function withdraw(WithdrawData calldata wd, bytes calldata aliceSignature, bytes calldata bobSignature) external;

    /// @notice The EIP-712 digest both parties sign for a withdrawal (also its replay key).
    function withdrawDigest(WithdrawData calldata wd) external view returns (bytes32);

    /// @notice Whether the commitment with this digest was paid out.
    function isWithdrawalExecuted(bytes32 commitment) external view returns (bool);
}
