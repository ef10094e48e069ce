// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICMCDeposit
/// @notice Deposits: alice through `depositAlice`, bob by a plain transfer to the channel.
interface ICMCDeposit {
    /// @notice Emitted on every `depositAlice`.
    event AliceDeposited(address indexed assetId, uint256 amount);

    /// @notice Adds `amount` of `assetId` to alice's deposits. Native coin: send it as value;
    /// token: approve the channel first. For tokens the amount received is what counts.
    function depositAlice(address assetId, uint256 amount) external payable;

    /// @notice Everything alice has deposited of `assetId`.
    function getTotalDepositsAlice(address assetId) external view returns (uint256);

    /// @notice Everything bob has deposited of `assetId`: what the channel holds and has paid
    /// out, less alice's deposits.
    function getTotalDepositsBob(address assetId) external view returns (uint256);
}
