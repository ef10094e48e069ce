// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICMCCore
/// @notice A channel's parties, fixed once by the factory.
/// @dev No event of its own: the factory's `ChannelCreated` names the channel and both parties.
interface ICMCCore {
    /// @notice Fixes the two parties of a freshly cloned channel. Callable once.
    function setup(address alice, address bob) external;

    /// @notice The node's identifier (index 0 of every channel balance).
    function getAlice() external view returns (address);

    /// @notice The user's identifier (index 1 of every channel balance).
    function getBob() external view returns (address);
}
