// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICMCAsset
/// @notice What the channel has paid out, and what it owes after a dispute.
interface ICMCAsset {
    /// @notice Emitted when a defund makes an amount exitable for an owner.
    event Exitable(address indexed assetId, address indexed owner, uint256 amount);
    /// @notice Emitted when an exitable amount is paid out.
    event Exited(address indexed assetId, address indexed owner, address recipient, uint256 amount);

    /// @notice Everything the channel has ever paid out of `assetId` (withdrawals and exits).
    function getTotalTransferred(address assetId) external view returns (uint256);

    /// @notice What `owner` may take out of `assetId` with `exit`, after defunds.
    function getExitableAmount(address assetId, address owner) external view returns (uint256);

    /// @notice Pays `owner`'s exitable amount of `assetId` to `recipient`. The owner may send it
    /// anywhere; anyone else may only send it to the owner.
    function exit(address assetId, address owner, address payable recipient) external;
}
