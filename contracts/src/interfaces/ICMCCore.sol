// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICMCCore
/// @notice A channel's parties, fixed once by the factory.
interface ICMCCore {
    /// @notice Emitted once, when the factory sets the channel up.
    event ChannelSetup(address indexed alice, address indexed bob);

    /// @notice Fixes the two parties of a freshly cloned channel. Callable once.
    function setup(address alice, address bob) external;

    /// @notice The node's identifier (index 0 of every channel balance).
    function getAlice() external view returns (address);

    /// @notice The user's identifier (index 1 of every channel balance).
    function getBob() external view returns (address);
}
